# Each participation copies its interaction's kind, focus and visibility (as it already
# copied the time), and the person's history index covers them: a long history is summed
# from the index without looking up each conversation.

from django.db import migrations, models

COPY = """
UPDATE interactions_participation
SET kind = x.kind, focus = x.focus, visibility = x.visibility
FROM interactions_interaction x
WHERE x.id = interactions_participation.interaction_id
"""
BITS = {
    "summarised_first": 1,
    "answered_too_soon": 2,
    "price_pressure": 4,
    "unsolicited_upsell": 8,
    "they_opened_up": 16,
    "we_opened_up": 32,
    "boundary_crossed": 64,
}
MOMENTS = """
UPDATE interactions_participation SET moments = COALESCE((
    SELECT SUM(CASE s.kind %s ELSE 0 END) FROM interactions_signal s
    WHERE s.interaction_id = interactions_participation.interaction_id), 0)
""" % " ".join(f"WHEN '{kind}' THEN {bit}" for kind, bit in BITS.items())


class Migration(migrations.Migration):

    dependencies = [
        ('interactions', '0004_participation_covering_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='participation',
            name='kind',
            field=models.CharField(choices=[('meeting', 'Meeting'), ('call', 'Call'), ('video', 'Video call'), ('email', 'Email'), ('message', 'Message'), ('meal', 'Meal'), ('event', 'Event'), ('note', 'Note')], default='', max_length=10),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='participation',
            name='focus',
            field=models.CharField(choices=[('client', "The client's agenda"), ('ours', 'Our agenda'), ('mutual', 'Mutual'), ('personal', 'Personal')], default='', max_length=10),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='participation',
            name='visibility',
            field=models.CharField(choices=[('private', 'Private to its owner'), ('team', 'Shared with the team')], default='', max_length=10),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='participation',
            name='moments',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.RunSQL(COPY, migrations.RunSQL.noop),
        migrations.RunSQL(MOMENTS, migrations.RunSQL.noop),
        migrations.RemoveIndex(
            model_name='participation',
            name='participation_person_time',
        ),
        migrations.AddIndex(
            model_name='participation',
            index=models.Index(fields=['person', '-occurred_at', 'interaction', 'kind', 'focus', 'visibility', 'moments'], name='participation_history'),
        ),
    ]
