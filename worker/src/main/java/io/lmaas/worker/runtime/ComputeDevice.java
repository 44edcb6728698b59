package io.lmaas.worker.runtime;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a worker computes: the device setting ({@code --device}: {@code auto}, {@code cpu}, {@code gpu} or
 * {@code gpu:N}; {@code cuda} and {@code cuda:N} are the same as {@code gpu}) resolved against the GPUs the engine
 * sees. {@code auto} takes the first GPU when the engine has one (a CUDA build of the worker on a GPU node) and the CPU
 * otherwise; asking for a GPU the engine does not see is refused at start, never silently served on the CPU.
 *
 * @param device the DJL device every tensor of the model lives on
 * @param engine what computes: libtorch's version and whether the build has CUDA
 */
public record ComputeDevice(Device device, String engine) {
    private static final Pattern SETTING = Pattern.compile("(auto|cpu|gpu|cuda)(?::(\\d{1,3}))?");

    /** The CPU, whatever the engine has. */
    public static ComputeDevice cpu() {
        return new ComputeDevice(Device.cpu(), engineName());
    }

    /** {@code auto}: the first GPU if the engine sees one, else the CPU. */
    public static ComputeDevice auto() {
        return select("auto");
    }

    /** Resolves a device setting against the PyTorch engine of this process. */
    public static ComputeDevice select(String setting) {
        return new ComputeDevice(resolve(setting, Engine.getEngine("PyTorch").getGpuCount()), engineName());
    }

    /**
     * Pure resolution of a setting against a GPU count: {@code auto} → gpu(0) if any, else cpu; {@code gpu:N} must exist.
     *
     * @throws IllegalArgumentException a malformed setting, or a GPU the engine does not see
     */
    static Device resolve(String setting, int gpus) {
        Matcher m = SETTING.matcher(setting == null ? "auto" : setting.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("device '" + setting + "' is not one of auto, cpu, gpu, gpu:N");
        }
        String kind = m.group(1);
        if (kind.equals("cpu")) {
            if (m.group(2) != null) {
                throw new IllegalArgumentException("device '" + setting + "': the CPU takes no index");
            }
            return Device.cpu();
        }
        if (kind.equals("auto")) {
            if (m.group(2) != null) {
                throw new IllegalArgumentException("device '" + setting + "': auto takes no index");
            }
            return gpus > 0 ? Device.gpu(0) : Device.cpu();
        }
        int index = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
        if (index >= gpus) {
            throw new IllegalArgumentException("device '" + setting + "': the engine sees " + gpus + " GPU(s)"
                    + (gpus == 0 ? " (this worker's libtorch is a CPU build, or no GPU is visible to the process:"
                            + " use the CUDA build of the worker on a GPU node)" : ""));
        }
        return Device.gpu(index);
    }

    public boolean gpu() {
        return device.isGpu();
    }

    /** How {@code /health} and the model description name it: {@code cpu} or {@code gpu:N}. */
    public String label() {
        return device.isGpu() ? "gpu:" + device.getDeviceId() : "cpu";
    }

    /** The device fields of a model's description. */
    public JsonObject describe() {
        return new JsonObject().put("device", label()).put("engine", engine);
    }

    private static String engineName() {
        MklCpuDispatch.apply(); // before the first matrix product of the process
        try {
            Engine e = Engine.getEngine("PyTorch");
            return "libtorch " + e.getVersion() + (e.getGpuCount() > 0 || e.hasCapability("CUDA") ? " (CUDA)" : " (CPU)");
        } catch (RuntimeException e) {
            throw new ModelDirectoryException("the PyTorch engine cannot start: " + e.getMessage(), e);
        }
    }
}
