"""sealing and proof retention (CONTRACT §C): per organisation proof_retention_days, when a
call was sealed and its proof deleted, and the closing checkpoint that stays

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 13:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proof_retention_days', sa.Integer(), nullable=False,
                                      server_default='1095'))
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sealed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('proof_deleted_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('checkpoint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closing', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('events', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('checkpoint', schema=None) as batch_op:
        batch_op.drop_column('events')
        batch_op.drop_column('closing')
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.drop_column('proof_deleted_at')
        batch_op.drop_column('sealed_at')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('proof_retention_days')
