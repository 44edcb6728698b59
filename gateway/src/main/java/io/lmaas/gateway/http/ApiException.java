package io.lmaas.gateway.http;

/**
 * A request failed in a way the client should be told about. Rendered in one place
 * ({@link ErrorHandler}) as {@code {"error":{"message","type","param","code"}}}.
 */
public class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String code;
    private final String param;
    private final Integer retryAfterSeconds;
    private final java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();

    public ApiException(int status, String type, String code, String param, String message, Integer retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static ApiException badRequest(String code, String param, String message) {
        return new ApiException(400, "invalid_request_error", code, param, message, null);
    }

    public static ApiException invalidParam(String param, String message) {
        return badRequest("invalid_value", param, message);
    }

    public static ApiException missingParam(String param) {
        return badRequest("missing_required_parameter", param, "'" + param + "' is required");
    }

    public static ApiException unauthorized(String message) {
        return new ApiException(401, "invalid_request_error", "invalid_api_key", null, message, null);
    }

    public static ApiException forbidden(String code, String param, String message) {
        return new ApiException(403, "permission_error", code, param, message, null);
    }

    public static ApiException notFound(String code, String message) {
        return new ApiException(404, "invalid_request_error", code, null, message, null);
    }

    public static ApiException modelNotFound(String model) {
        return new ApiException(404, "invalid_request_error", "model_not_found", "model",
                "The model '" + model + "' does not exist or you do not have access to it.", null);
    }

    public static ApiException conflict(String code, String message) {
        return new ApiException(409, "invalid_request_error", code, null, message, null);
    }

    public static ApiException unavailable(String code, String message, int retryAfterSeconds) {
        return new ApiException(503, "server_error", code, null, message, retryAfterSeconds);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String code() {
        return code;
    }

    public String param() {
        return param;
    }

    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** Adds a response header to send with this error (for example a refusal's {@code x-ratelimit-*}). */
    public ApiException header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public java.util.Map<String, String> headers() {
        return headers;
    }
}
