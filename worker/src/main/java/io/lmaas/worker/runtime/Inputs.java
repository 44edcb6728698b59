package io.lmaas.worker.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Tokenises the inputs of one request; a refusal names the input by its position in the request. */
public final class Inputs {
    private Inputs() {
    }

    public static <T> List<Encoded> encode(List<T> inputs, Function<T, Encoded> one) {
        List<Encoded> out = new ArrayList<>(inputs.size());
        for (T input : inputs) {
            try {
                out.add(one.apply(input));
            } catch (InputTooLong e) {
                throw e.at(out.size());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("input " + out.size() + ": " + e.getMessage(), e);
            }
        }
        return out;
    }
}
