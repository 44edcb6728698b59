package io.lmaas.gateway.models;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * A model version as a zip of its directory. Uploaded ones are unpacked safely: no entry may leave the target (zip
 * slip), links are not followed, and the unpacked size and entry count are capped (zip bombs). A zip
 * holding one top folder is that folder. Downloads pack a version's directory (regular files only) under one top
 * folder, so a Hugging Face directory comes back as it went in. Pure file I/O, no network.
 */
public final class ModelArchive {
    public static final int MAX_ENTRIES = 10_000;

    /** What is wrong with an archive, in words for the caller. */
    public static final class Invalid extends Exception {
        public Invalid(String message) {
            super(message);
        }
    }

    private ModelArchive() {
    }

    /** Unpacks {@code zip} into {@code target} (created); returns the model directory inside it. */
    public static Path unpack(Path zip, Path target, long maxBytes) throws IOException, Invalid {
        Files.createDirectories(target);
        long total = 0;
        int entries = 0;
        try (InputStream in = Files.newInputStream(zip); ZipInputStream z = new ZipInputStream(in)) {
            ZipEntry e;
            byte[] buffer = new byte[64 * 1024];
            while ((e = z.getNextEntry()) != null) {
                if (++entries > MAX_ENTRIES) {
                    throw new Invalid("the archive has more than " + MAX_ENTRIES + " entries");
                }
                if (e.getName().isBlank() || e.getName().indexOf('\0') >= 0) {
                    throw new Invalid("the archive has an entry without a usable name");
                }
                Path out;
                try {
                    out = target.resolve(e.getName()).normalize();
                } catch (java.nio.file.InvalidPathException bad) {
                    throw new Invalid("the archive entry '" + e.getName() + "' is not a usable file name");
                }
                if (!out.startsWith(target) || e.getName().startsWith("/") || e.getName().contains("\\")) {
                    throw new Invalid("the archive entry '" + e.getName() + "' would land outside the model directory");
                }
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                    continue;
                }
                Files.createDirectories(out.getParent());
                try (OutputStream os = Files.newOutputStream(out)) {
                    int n;
                    while ((n = z.read(buffer)) > 0) {
                        total += n;
                        if (total > maxBytes) {
                            throw new Invalid("the archive unpacks to more than " + (maxBytes >> 20) + " MB");
                        }
                        os.write(buffer, 0, n);
                    }
                }
            }
        } catch (ZipException e) {
            throw new Invalid("not a readable zip archive: " + e.getMessage());
        } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.NotDirectoryException e) {
            throw new Invalid("the archive holds a file and a folder of the same name: " + e.getFile());
        }
        if (entries == 0) {
            throw new Invalid("not a zip archive, or an empty one");
        }
        try (var top = Files.list(target)) {
            List<Path> children = top.toList();
            return children.size() == 1 && Files.isDirectory(children.get(0)) ? children.get(0) : target;
        }
    }

    /**
     * Packs the plaintext of the regular files under {@code directory} into {@code out} (closed at the end), inside a top
     * folder named {@code top}: a tenant's sealed model is decrypted with the key the gateway's key source opens, so the
     * tenant takes its model away as it gave it; {@code out} is a sealing stream, so the zip's plaintext is never on disk.
     */
    public static void pack(Path directory, String top, OutputStream out) throws IOException {
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(new java.io.BufferedOutputStream(out, 1 << 16));
                java.util.stream.Stream<Path> files = Files.walk(directory)) {
            z.setLevel(1); // weights barely compress: favour speed
            for (Path f : files.sorted().toList()) {
                if (!Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                z.putNextEntry(new ZipEntry(top + "/" + directory.relativize(f).toString().replace('\\', '/')));
                try (InputStream in = io.lmaas.core.crypto.Artifacts.newInputStream(f)) { // a tenant's model: decrypted
                    in.transferTo(z);
                }
                z.closeEntry();
            }
        }
    }
}
