package io.lmaas.worker.hf.encoder;

/**
 * A batch of token-id rows laid out for the encoder (pure): right-padded to the longest row, with token types,
 * positions (RoBERTa counts from {@code padding_idx + 1} over real tokens and puts padding at {@code padding_idx})
 * and the additive attention mask ({@code -1e30} on padding).
 */
record EncoderInputs(int batch, int longest, long[] ids, long[] types, long[] positions, float[] additiveMask, boolean padded) {

    static EncoderInputs of(EncoderConfig config, long[][] ids, long[][] typeIds) {
        int batch = ids.length;
        int longest = 1;
        boolean padded = false;
        for (long[] row : ids) {
            longest = Math.max(longest, row.length);
        }
        long[] flatIds = new long[batch * longest];
        long[] flatTypes = new long[batch * longest];
        long[] flatPositions = new long[batch * longest];
        float[] additive = new float[batch * longest];
        boolean roberta = config.family() == EncoderConfig.Family.ROBERTA || config.family() == EncoderConfig.Family.XLM_ROBERTA;
        for (int b = 0; b < batch; b++) {
            padded |= ids[b].length < longest;
            for (int t = 0; t < longest; t++) {
                boolean real = t < ids[b].length;
                int i = b * longest + t;
                flatIds[i] = real ? ids[b][t] : config.padTokenId();
                flatTypes[i] = real && typeIds != null ? typeIds[b][t] : 0;
                flatPositions[i] = roberta ? (real ? config.padTokenId() + 1 + t : config.padTokenId()) : t;
                additive[i] = real ? 0f : -1e30f;
            }
        }
        return new EncoderInputs(batch, longest, flatIds, flatTypes, flatPositions, additive, padded);
    }
}
