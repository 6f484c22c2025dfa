"""Privacy by design (Québec Loi 25): personal data sealed per subject, erased by crypto-shredding.

- :mod:`.keys` — :class:`KeyStore`, each subject's data key wrapped by the master key, shredding;
- :mod:`.cipher` — :func:`seal` / :func:`open_sealed` (fields), :func:`seal_bytes` /
  :func:`open_bytes` (documents), and :class:`PiiCodec`, what services use;
- :mod:`.ddl` — :func:`create_privacy_tables_v1`, for a service's migration.
"""

from __future__ import annotations

from gsi_kernel.privacy.cipher import PiiCodec, open_bytes, open_sealed, seal, seal_bytes
from gsi_kernel.privacy.ddl import create_privacy_tables_v1, drop_privacy_tables
from gsi_kernel.privacy.errors import (
    InvalidToken,
    KeyUnwrapError,
    PrivacyError,
    SubjectErased,
    TamperedToken,
    UnknownSubject,
)
from gsi_kernel.privacy.keys import (
    DataKey,
    KeyStore,
    decode_master_key,
    generate_master_key,
    load_or_create_dev_master_key,
)

__all__ = [
    "DataKey",
    "InvalidToken",
    "KeyStore",
    "KeyUnwrapError",
    "PiiCodec",
    "PrivacyError",
    "SubjectErased",
    "TamperedToken",
    "UnknownSubject",
    "create_privacy_tables_v1",
    "decode_master_key",
    "drop_privacy_tables",
    "generate_master_key",
    "load_or_create_dev_master_key",
    "open_bytes",
    "open_sealed",
    "seal",
    "seal_bytes",
]
