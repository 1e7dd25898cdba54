"""Baselines and decisions are history: the database itself refuses to rewrite them.

- projects_baseline: no DELETE; the only UPDATE allowed switches is_current from true to false
  and leaves every other column as it was (the next baseline takes over).
- projects_baselineitem and projects_changedecision: no UPDATE, no DELETE.
- projects_changedecision: a decision is inserted only while its request is open. On PostgreSQL
  the request row is locked (FOR UPDATE), so a concurrent withdrawal is seen once it commits.
"""

from __future__ import annotations

from django.db import migrations

BASELINE_COLUMNS = [
    "project_id",
    "number",
    "kind",
    "decision_id",
    "start_date",
    "deadline",
    "budget",
    "currency",
    "created_by_id",
    "created_at",
]

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION projects_refuse_history_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is history: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION projects_baseline_only_retire() RETURNS trigger AS $$
BEGIN
    IF OLD.is_current AND NOT NEW.is_current
       AND ROW({", ".join(f"NEW.{c}" for c in BASELINE_COLUMNS)})
           IS NOT DISTINCT FROM ROW({", ".join(f"OLD.{c}" for c in BASELINE_COLUMNS)}) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'projects_baseline is history: only retiring the current baseline is allowed'
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION projects_decision_needs_open_request() RETURNS trigger AS $$
BEGIN
    PERFORM 1 FROM projects_changerequest
        WHERE id = NEW.request_id AND status = 'open' FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'change request % is not open: decision refused', NEW.request_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER projects_baseline_no_delete BEFORE DELETE ON projects_baseline
    FOR EACH ROW EXECUTE FUNCTION projects_refuse_history_change();
CREATE TRIGGER projects_baseline_only_retire BEFORE UPDATE ON projects_baseline
    FOR EACH ROW EXECUTE FUNCTION projects_baseline_only_retire();
CREATE TRIGGER projects_baselineitem_no_update BEFORE UPDATE ON projects_baselineitem
    FOR EACH ROW EXECUTE FUNCTION projects_refuse_history_change();
CREATE TRIGGER projects_baselineitem_no_delete BEFORE DELETE ON projects_baselineitem
    FOR EACH ROW EXECUTE FUNCTION projects_refuse_history_change();
CREATE TRIGGER projects_changedecision_no_update BEFORE UPDATE ON projects_changedecision
    FOR EACH ROW EXECUTE FUNCTION projects_refuse_history_change();
CREATE TRIGGER projects_changedecision_no_delete BEFORE DELETE ON projects_changedecision
    FOR EACH ROW EXECUTE FUNCTION projects_refuse_history_change();
CREATE TRIGGER projects_changedecision_open_request BEFORE INSERT ON projects_changedecision
    FOR EACH ROW EXECUTE FUNCTION projects_decision_needs_open_request();
"""

POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS projects_baseline_no_delete ON projects_baseline;
DROP TRIGGER IF EXISTS projects_baseline_only_retire ON projects_baseline;
DROP TRIGGER IF EXISTS projects_baselineitem_no_update ON projects_baselineitem;
DROP TRIGGER IF EXISTS projects_baselineitem_no_delete ON projects_baselineitem;
DROP TRIGGER IF EXISTS projects_changedecision_no_update ON projects_changedecision;
DROP TRIGGER IF EXISTS projects_changedecision_no_delete ON projects_changedecision;
DROP TRIGGER IF EXISTS projects_changedecision_open_request ON projects_changedecision;
DROP FUNCTION IF EXISTS projects_refuse_history_change();
DROP FUNCTION IF EXISTS projects_baseline_only_retire();
DROP FUNCTION IF EXISTS projects_decision_needs_open_request();
"""

_same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in BASELINE_COLUMNS)
SQLITE_UP = [
    """CREATE TRIGGER projects_baseline_no_delete BEFORE DELETE ON projects_baseline
       BEGIN SELECT RAISE(ABORT, 'projects_baseline is history: DELETE refused'); END;""",
    f"""CREATE TRIGGER projects_baseline_only_retire BEFORE UPDATE ON projects_baseline
       WHEN NOT (OLD.is_current = 1 AND NEW.is_current = 0 AND {_same})
       BEGIN SELECT RAISE(ABORT, 'projects_baseline is history: UPDATE refused'); END;""",
    """CREATE TRIGGER projects_baselineitem_no_update BEFORE UPDATE ON projects_baselineitem
       BEGIN SELECT RAISE(ABORT, 'projects_baselineitem is history: UPDATE refused'); END;""",
    """CREATE TRIGGER projects_baselineitem_no_delete BEFORE DELETE ON projects_baselineitem
       BEGIN SELECT RAISE(ABORT, 'projects_baselineitem is history: DELETE refused'); END;""",
    """CREATE TRIGGER projects_changedecision_no_update BEFORE UPDATE ON projects_changedecision
       BEGIN SELECT RAISE(ABORT, 'projects_changedecision is history: UPDATE refused'); END;""",
    """CREATE TRIGGER projects_changedecision_no_delete BEFORE DELETE ON projects_changedecision
       BEGIN SELECT RAISE(ABORT, 'projects_changedecision is history: DELETE refused'); END;""",
    """CREATE TRIGGER projects_changedecision_open_request BEFORE INSERT ON projects_changedecision
       WHEN (SELECT status FROM projects_changerequest WHERE id = NEW.request_id) IS NOT 'open'
       BEGIN SELECT RAISE(ABORT, 'change request is not open: decision refused'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS projects_baseline_no_delete;",
    "DROP TRIGGER IF EXISTS projects_baseline_only_retire;",
    "DROP TRIGGER IF EXISTS projects_baselineitem_no_update;",
    "DROP TRIGGER IF EXISTS projects_baselineitem_no_delete;",
    "DROP TRIGGER IF EXISTS projects_changedecision_no_update;",
    "DROP TRIGGER IF EXISTS projects_changedecision_no_delete;",
    "DROP TRIGGER IF EXISTS projects_changedecision_open_request;",
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
    dependencies = [("projects", "0002_scope_milestones_costs_risks_changes_baselines")]
    operations = [migrations.RunPython(up, down)]
