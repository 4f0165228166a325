"""The constants of the LookupFFN spec (Zeng et al., arXiv 2403.07221), in one place: every definition, kernel,
reference and baseline imports them from here."""

LAYER_NORM_EPS = 1e-5  # step 1: the block's own pre-norm
STAGES = 4  # step 2: BH4 rounds per repeat (block-diagonal matmul + Hadamard)
MIX_PROJECTED = 0.7  # step 2: z = MIX_PROJECTED * BH4(x_pad) + MIX_INPUT * tile(x_pad)
MIX_INPUT = 0.3
MAX_CODE_BITS = 30  # step 4: tau <= 30, so a code fits an int32
