"""Cell values that readers give for what a file holds but cannot be imported as it is."""

from __future__ import annotations


class FormulaWithoutValue(str):
    """A formula cell that the file keeps no calculated value for (a workbook written by a
    program that does not calculate, never opened and saved in a spreadsheet program). Its text
    is the formula, so the error report shows it."""

    __slots__ = ()
