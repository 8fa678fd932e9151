"""The job function bare RQ runs in the baseline (the engine runs system.noop)."""


def noop() -> dict[str, bool]:
    return {"ok": True}
