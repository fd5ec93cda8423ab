"""Write a new schema migration after changing bot/db/schema.py.

    python tools/db_revision.py -m "what changes"

Alembic compares the schema with a scratch SQLite database upgraded to the newest
migration and writes the difference to bot/db/migrations/versions/; read it over
by hand before committing (renames, for one, come out as a drop and an add).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from bot.db.database import MIGRATIONS, migrate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-m", "--message", required=True, help="what the migration changes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        engine = sa.create_engine(f"sqlite:///{Path(scratch) / 'scratch.db'}")
        with engine.begin() as connection:
            migrate(connection)
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            number = len(list((MIGRATIONS / "versions").glob("[0-9]*.py"))) + 1
            command.revision(config, message=args.message, autogenerate=True, rev_id=f"{number:04d}")
        engine.dispose()


if __name__ == "__main__":
    main()
