"""processing grants (CONTRACT §D, §E): tokens for a call's processors (one purpose) and its
phone bridge, with the plan each processor last applied; and the participant's `ref` (the
snippet's data-participant-ref)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 14:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'processing_grant',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('call_id', sa.String(length=40), nullable=False),
        sa.Column('role', sa.String(length=12), nullable=False),
        sa.Column('purpose', sa.String(length=64), nullable=True),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('token_hash', sa.String(length=80), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('last_applied_seq', sa.Integer(), nullable=True),
        sa.Column('applied_at', sa.DateTime(), nullable=True),
        sa.Column('applied_delay_ms', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['call_id'], ['call.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_processing_grant_call_id', 'processing_grant', ['call_id'])
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ref', sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_column('ref')
    op.drop_index('ix_processing_grant_call_id', table_name='processing_grant')
    op.drop_table('processing_grant')
