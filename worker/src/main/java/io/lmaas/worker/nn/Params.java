package io.lmaas.worker.nn;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.ConstantInitializer;
import ai.djl.training.initializer.NormalInitializer;

/** Parameter factories with the GPT-2 initialisation (N(0, 0.02) weights, zero biases, unit gains). */
final class Params {
    private Params() {
    }

    static Parameter weight(String name, long... shape) {
        return Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).optShape(new Shape(shape))
                .optInitializer(new NormalInitializer(0.02f)).build();
    }

    static Parameter bias(String name, long size) {
        return Parameter.builder().setName(name).setType(Parameter.Type.BIAS).optShape(new Shape(size))
                .optInitializer(new ConstantInitializer(0f)).build();
    }

    static Parameter gamma(String name, long size) {
        return Parameter.builder().setName(name).setType(Parameter.Type.GAMMA).optShape(new Shape(size))
                .optInitializer(new ConstantInitializer(1f)).build();
    }

    static Parameter beta(String name, long size) {
        return Parameter.builder().setName(name).setType(Parameter.Type.BETA).optShape(new Shape(size))
                .optInitializer(new ConstantInitializer(0f)).build();
    }
}
