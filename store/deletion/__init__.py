"""Everything about deleting: retention windows and task, erasure, the ledger, storage limits."""
