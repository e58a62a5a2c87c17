"""signed ledger checkpoints (CONTRACT §B); room for the update kind notice_changed

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 11:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('checkpoint',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('call_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=80), nullable=False),
    sa.Column('final', sa.Boolean(), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('jws', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('checkpoint', schema=None) as batch_op:
        batch_op.create_index('ix_checkpoint_call_seq', ['call_id', 'seq'], unique=False)
    with op.batch_alter_table('call_update', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=sa.String(length=12),
                              type_=sa.String(length=20), existing_nullable=False)
    # Calls that ended before checkpoints existed get their final one from the server's next
    # checkpoint pass (services/checkpoints.py).


def downgrade() -> None:
    with op.batch_alter_table('call_update', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=sa.String(length=20),
                              type_=sa.String(length=12), existing_nullable=False)
    with op.batch_alter_table('checkpoint', schema=None) as batch_op:
        batch_op.drop_index('ix_checkpoint_call_seq')
    op.drop_table('checkpoint')
