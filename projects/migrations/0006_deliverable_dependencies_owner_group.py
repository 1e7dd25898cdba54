"""Dependencies between deliverables (finish-to-start with a lag), a deliverable's owner and
group, a baseline item's start.

A dependency links two deliverables of the same project: the database holds it with a trigger
(a CHECK cannot look at other rows, and Django declares no foreign key over two columns), on
inserting or changing a dependency and on moving a linked deliverable to another project.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


POSTGRES_UP = """
CREATE OR REPLACE FUNCTION projects_dependency_same_project() RETURNS trigger AS $$
BEGIN
    IF (SELECT project_id FROM projects_deliverable WHERE id = NEW.predecessor_id)
       IS DISTINCT FROM (SELECT project_id FROM projects_deliverable WHERE id = NEW.successor_id)
    THEN
        RAISE EXCEPTION 'a dependency links deliverables of one project'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION projects_linked_deliverable_stays() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM projects_deliverabledependency
               WHERE predecessor_id = NEW.id OR successor_id = NEW.id) THEN
        RAISE EXCEPTION 'a deliverable with dependencies stays in its project'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER projects_dependency_same_project
    BEFORE INSERT OR UPDATE ON projects_deliverabledependency
    FOR EACH ROW EXECUTE FUNCTION projects_dependency_same_project();
CREATE TRIGGER projects_linked_deliverable_stays
    BEFORE UPDATE OF project_id ON projects_deliverable
    FOR EACH ROW WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION projects_linked_deliverable_stays();
"""

POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS projects_dependency_same_project ON projects_deliverabledependency;
DROP TRIGGER IF EXISTS projects_linked_deliverable_stays ON projects_deliverable;
DROP FUNCTION IF EXISTS projects_dependency_same_project();
DROP FUNCTION IF EXISTS projects_linked_deliverable_stays();
"""

_OTHER_PROJECT = """(SELECT project_id FROM projects_deliverable WHERE id = NEW.predecessor_id)
       IS NOT (SELECT project_id FROM projects_deliverable WHERE id = NEW.successor_id)"""
SQLITE_UP = [
    f"""CREATE TRIGGER projects_dependency_same_project_insert
       BEFORE INSERT ON projects_deliverabledependency WHEN {_OTHER_PROJECT}
       BEGIN SELECT RAISE(ABORT, 'a dependency links deliverables of one project'); END;""",
    f"""CREATE TRIGGER projects_dependency_same_project_update
       BEFORE UPDATE ON projects_deliverabledependency WHEN {_OTHER_PROJECT}
       BEGIN SELECT RAISE(ABORT, 'a dependency links deliverables of one project'); END;""",
    """CREATE TRIGGER projects_linked_deliverable_stays
       BEFORE UPDATE OF project_id ON projects_deliverable
       WHEN OLD.project_id IS NOT NEW.project_id AND EXISTS (
           SELECT 1 FROM projects_deliverabledependency
           WHERE predecessor_id = NEW.id OR successor_id = NEW.id)
       BEGIN SELECT RAISE(ABORT, 'a deliverable with dependencies stays in its project'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS projects_dependency_same_project_insert;",
    "DROP TRIGGER IF EXISTS projects_dependency_same_project_update;",
    "DROP TRIGGER IF EXISTS projects_linked_deliverable_stays;",
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

    dependencies = [
        ('projects', '0005_decisions_move_roadmap_approval_requests'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='baselineitem',
            name='start_date',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='deliverable',
            name='group',
            field=models.CharField(blank=True, help_text='A phase or work package, e.g. “Migration”.', max_length=200),
        ),
        migrations.AddField(
            model_name='deliverable',
            name='owner',
            field=models.ForeignKey(blank=True, help_text='Who sees it done (a resource assigned to it in MS Project).', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='owned_deliverables', to=settings.AUTH_USER_MODEL),
        ),
        migrations.CreateModel(
            name='DeliverableDependency',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('lag_days', models.IntegerField(default=0, verbose_name='lag (days)')),
                ('predecessor', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='successor_links', to='projects.deliverable')),
                ('successor', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='predecessor_links', to='projects.deliverable')),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.AddField(
            model_name='deliverable',
            name='depends_on',
            field=models.ManyToManyField(blank=True, related_name='dependents', through='projects.DeliverableDependency', through_fields=('successor', 'predecessor'), to='projects.deliverable'),
        ),
        migrations.AddConstraint(
            model_name='deliverabledependency',
            constraint=models.UniqueConstraint(fields=('predecessor', 'successor'), name='deliverable_dependency_unique'),
        ),
        migrations.AddConstraint(
            model_name='deliverabledependency',
            constraint=models.CheckConstraint(condition=models.Q(('predecessor', models.F('successor')), _negated=True), name='deliverable_not_its_own_dependency'),
        ),
        migrations.AddConstraint(
            model_name='deliverabledependency',
            constraint=models.CheckConstraint(condition=models.Q(('lag_days__gte', -999), ('lag_days__lte', 999)), name='deliverable_dependency_lag_in_range'),
        ),
        migrations.RunPython(up, down),
    ]
