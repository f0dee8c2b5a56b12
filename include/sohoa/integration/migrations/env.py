"""Alembic environment of the shared database's contract schema (csdl).

Its own history and version table (``csdl_alembic_version``), separate from the
project database's. The connection comes from ``config.attributes["connection"]``
(sohoa.integration.contract.migrate_shared), so an engine made by the Postgres
provider's hook is used as is.
"""

from alembic import context

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(connection=connection, target_metadata=None,
                      version_table="csdl_alembic_version",
                      transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
