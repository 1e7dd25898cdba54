"""Make the handover log append-only in the database itself: UPDATE and DELETE are refused by
triggers, whatever the client (the app, the admin, a shell, raw SQL)."""

from __future__ import annotations

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION ownership_handover_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ownership_handover is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ownership_handover_no_update BEFORE UPDATE ON ownership_handover
    FOR EACH ROW EXECUTE FUNCTION ownership_handover_append_only();
CREATE TRIGGER ownership_handover_no_delete BEFORE DELETE ON ownership_handover
    FOR EACH ROW EXECUTE FUNCTION ownership_handover_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS ownership_handover_no_update ON ownership_handover;
DROP TRIGGER IF EXISTS ownership_handover_no_delete ON ownership_handover;
DROP FUNCTION IF EXISTS ownership_handover_append_only();
"""
SQLITE_UP = [
    """CREATE TRIGGER ownership_handover_no_update BEFORE UPDATE ON ownership_handover
       BEGIN SELECT RAISE(ABORT, 'ownership_handover is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER ownership_handover_no_delete BEFORE DELETE ON ownership_handover
       BEGIN SELECT RAISE(ABORT, 'ownership_handover is append-only: DELETE refused'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS ownership_handover_no_update;",
    "DROP TRIGGER IF EXISTS ownership_handover_no_delete;",
]


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("ownership", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
