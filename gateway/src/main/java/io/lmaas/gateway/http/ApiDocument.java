package io.lmaas.gateway.http;

/**
 * The API document, OpenAPI 3.1 ({@code openapi/lmaas.json} on the class path), served as {@code GET /openapi.json}
 * and shown by the console's API reference (Swagger UI from its WebJar). OpenApiDocumentTest keeps it equal to the
 * operations the routers serve, both ways.
 */
public final class ApiDocument {
    /** The Swagger UI WebJar's version (its resources sit under a folder of that name). */
    public static final String SWAGGER_UI_VERSION = "5.34.1";
    private static final String JSON = io.lmaas.core.api.ApiSchemas.resource("/openapi/lmaas.json");

    private ApiDocument() {
    }

    public static String json() {
        return JSON;
    }
}
