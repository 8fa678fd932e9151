from __future__ import annotations

from uploads import validators as v
from uploads.importers.base import Column, ImportType
from uploads.models import Device, DeviceStatus


class DeviceImport(ImportType):
    key = "devices"
    label = "Devices"
    model = Device
    natural_key = "imei"
    columns = [
        Column(
            "imei",
            v.imei,
            required=True,
            aliases=("imei number", "imei no", "serial"),
            example="490154203237518",
        ),
        Column(
            "brand",
            v.bounded_text(100, "brand"),
            aliases=("make", "manufacturer"),
            example="Samsung",
        ),
        Column(
            "model", v.bounded_text(100, "model"), aliases=("device model",), example="Galaxy A15"
        ),
        Column("status", v.choice(dict(DeviceStatus.choices), "status"), example="active"),
    ]
