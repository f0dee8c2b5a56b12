"""What every phase uses: configuration, the project database (models, sessions,
migrations, trigger-kept progress counters), the event log, object storage, the
TT 02/2019 / TT 05/2025 field rules and codes, safe names and the agency/file selection
that trigger forms pass. Imports nothing from the phases."""
