package io.lmaas.worker.hf.lora;

import java.util.Map;

/**
 * What an {@link AdapterBank} holds of an adapter: its rank, the scaling of its deltas, and its low-rank factors per
 * adapted projection (by layer and module).
 */
public interface LowRankAdapter {
    int rank();

    double scaling();

    Map<LoraAdapter.Key, LoraAdapter.Pair> weights();
}
