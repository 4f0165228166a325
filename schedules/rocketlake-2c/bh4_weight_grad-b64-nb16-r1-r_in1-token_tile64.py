# bh4_weight_grad-b64-nb16-r1-r_in1-token_tile64 for {'mcpu': 'rocketlake', 'kind': 'llvm', 'num-cores': 2, 'mattr': ['-prefer-256-bit']}
# measured on Intel(R) Xeon(R) Processor: 2.483 ms at 4096 tokens after 32 trials
# knobs: {'chunks': 16, 'tile_rows': 4, 'tile_vectors': 4}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func(s_tir=True)
def main(grad_mm: T.Buffer(("batch", 64, 1, 16, 64), "float32"), stage_input: T.Buffer((batch, 64, 1, 16, 64), "float32"), grad_weight: T.Buffer((1, 16, 64, 64), "float32")):
    batch = T.int32()
    T.func_attr({"tirx.noalias": True})
    # with T.sblock("root"):
    grad_weight_rf = T.sblock_alloc_buffer((16, 1, 16, 64, 64))
    for q_0_rr_n_fused in T.parallel(256):
        for i_0_init, o_0_init in T.grid(16, 1):
            for i_1_init in T.unroll(4):
                for o_1_init in T.unroll(4):
                    for o_2_init in T.vectorized(16):
                        with T.sblock("grad_weight_rf_init"):
                            vq_0 = T.axis.spatial(16, q_0_rr_n_fused // 16)
                            v_rr = T.axis.spatial(1, 0)
                            v_n = T.axis.spatial(16, q_0_rr_n_fused % 16)
                            v_i = T.axis.spatial(64, i_0_init * 4 + i_1_init)
                            v_o = T.axis.spatial(64, o_0_init * 64 + o_1_init * 16 + o_2_init)
                            T.reads()
                            T.writes(grad_weight_rf[vq_0, v_rr, v_n, v_i, v_o])
                            grad_weight_rf[vq_0, v_rr, v_n, v_i, v_o] = T.float32(0.0)
        for q_1, i_0, o_0, t in T.grid((batch + 15) // 16, 16, 1, 64):
            for i_1 in T.unroll(4):
                for o_1 in T.unroll(4):
                    for o_2 in T.vectorized(16):
                        with T.sblock("grad_weight_rf_update"):
                            vq_0 = T.axis.spatial(16, q_0_rr_n_fused // 16)
                            v_rr = T.axis.spatial(1, 0)
                            v_n = T.axis.spatial(16, q_0_rr_n_fused % 16)
                            v_i = T.axis.spatial(64, i_0 * 4 + i_1)
                            v_o = T.axis.spatial(64, o_0 * 64 + o_1 * 16 + o_2)
                            vq_1, v_t = T.axis.remap("RR", [q_1, t])
                            T.where(q_0_rr_n_fused // 16 * ((batch + 15) // 16) + q_1 < batch)
                            T.reads(grad_weight_rf[vq_0, v_rr, v_n, v_i, v_o], stage_input[vq_0 * ((batch + 15) // 16) + vq_1, v_t, 0, v_n, v_i], grad_mm[vq_0 * ((batch + 15) // 16) + vq_1, v_t, v_rr, v_n, v_o])
                            T.writes(grad_weight_rf[vq_0, v_rr, v_n, v_i, v_o])
                            grad_weight_rf[vq_0, v_rr, v_n, v_i, v_o] = grad_weight_rf[vq_0, v_rr, v_n, v_i, v_o] + stage_input[vq_0 * ((batch + 15) // 16) + vq_1, v_t, 0, v_n, v_i] * grad_mm[vq_0 * ((batch + 15) // 16) + vq_1, v_t, v_rr, v_n, v_o]
    for rr_n_i_fused in T.parallel(1024):
        for o_0_init in range(4):
            for o_1_init in T.vectorized(16):
                with T.sblock("grad_weight_init"):
                    v_rr = T.axis.spatial(1, 0)
                    v_n = T.axis.spatial(16, rr_n_i_fused // 64)
                    v_i = T.axis.spatial(64, rr_n_i_fused % 64)
                    v_o = T.axis.spatial(64, o_0_init * 16 + o_1_init)
                    T.reads()
                    T.writes(grad_weight[v_rr, v_n, v_i, v_o])
                    grad_weight[v_rr, v_n, v_i, v_o] = T.float32(0.0)
        for q_0, o_0 in T.grid(16, 4):
            for o_1 in T.vectorized(16):
                with T.sblock("grad_weight_update"):
                    vq_0 = T.axis.reduce(16, q_0)
                    v_rr = T.axis.spatial(1, 0)
                    v_n = T.axis.spatial(16, rr_n_i_fused // 64)
                    v_i = T.axis.spatial(64, rr_n_i_fused % 64)
                    v_o = T.axis.spatial(64, o_0 * 16 + o_1)
                    T.reads(grad_weight[v_rr, v_n, v_i, v_o], grad_weight_rf[vq_0, v_rr, v_n, v_i, v_o])
                    T.writes(grad_weight[v_rr, v_n, v_i, v_o])
                    grad_weight[v_rr, v_n, v_i, v_o] = grad_weight[v_rr, v_n, v_i, v_o] + grad_weight_rf[vq_0, v_rr, v_n, v_i, v_o]