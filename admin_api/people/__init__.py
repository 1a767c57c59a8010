"""People's data: export, erasure, retention."""
