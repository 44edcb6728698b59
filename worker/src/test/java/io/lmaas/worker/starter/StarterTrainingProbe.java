package io.lmaas.worker.starter;

import java.nio.file.Path;

class StarterTrainingProbe {
    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        long t0 = System.currentTimeMillis();
        System.out.println(StarterModels.trainClassifier(root.resolve("c"), 42));
        long t1 = System.currentTimeMillis();
        System.out.println("classifier ms " + (t1 - t0));
        System.out.println(StarterModels.trainGenerator(root.resolve("g"), 42));
        System.out.println("generator ms " + (System.currentTimeMillis() - t1));
    }
}
