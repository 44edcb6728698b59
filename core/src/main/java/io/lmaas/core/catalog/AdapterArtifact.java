package io.lmaas.core.catalog;

/** Where an adapter model's newest version lies (an artifact URI), and whether workers keep it pinned in memory. */
public record AdapterArtifact(String uri, boolean pinned) {
}
