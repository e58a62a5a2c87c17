"""presence leases of serving processes (CONTRACT §F, several processes): a heartbeat per
process, and which process holds each participant's connection

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-02 14:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('process_lease',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('process', sa.String(length=40), nullable=True))
        batch_op.create_index('ix_participant_process', ['process'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_index('ix_participant_process')
        batch_op.drop_column('process')
    op.drop_table('process_lease')
