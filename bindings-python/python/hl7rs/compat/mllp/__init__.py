"""asyncio MLLP streams (python-hl7's ``hl7.mllp``): ``start_hl7_server`` and
``open_hl7_connection`` give reader/writer pairs that read and write whole HL7 messages."""

from .exceptions import InvalidBlockError
from .streams import (
    HL7StreamProtocol,
    HL7StreamReader,
    HL7StreamWriter,
    MLLPStreamReader,
    MLLPStreamWriter,
    open_hl7_connection,
    start_hl7_server,
)

__all__ = [
    "HL7StreamProtocol",
    "HL7StreamReader",
    "HL7StreamWriter",
    "InvalidBlockError",
    "MLLPStreamReader",
    "MLLPStreamWriter",
    "open_hl7_connection",
    "start_hl7_server",
]
