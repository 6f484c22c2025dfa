"""The bulk import's files as CSV or XLSX: :mod:`.import_file` (the adapter), :mod:`.cells` (the
columns and their cells), :mod:`.formats` (reading and writing CSV and XLSX)."""
