"""live write path: notice_served ledger events (purpose null), blocking_since

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('decision_event', schema=None) as batch_op:
        batch_op.alter_column('purpose', existing_type=sa.String(length=64), nullable=True)
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blocking_since', sa.DateTime(), nullable=True))
    # Those blocking now have been blocking at least since their last change.
    op.execute("UPDATE participant SET blocking_since = updated_at WHERE present AND NOT gate_ok")


def downgrade() -> None:
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_column('blocking_since')
    with op.batch_alter_table('decision_event', schema=None) as batch_op:
        batch_op.alter_column('purpose', existing_type=sa.String(length=64), nullable=False)
