package io.lmaas.deploy.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.deploy.identity.KeycloakServer;
import io.lmaas.deploy.identity.OidcLogin;
import io.lmaas.worker.starter.SyntheticTopics;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real headless Chromium (Debian's chromium and chromedriver), against the whole platform
 * in local mode and a real Keycloak: sign-in through Keycloak's login page, a tenant and a key made in the
 * browser, traffic with that key showing on the overview and usage pages, a tenant admin who cannot see
 * another tenant, and a fine-tuning job's progress bar and loss curve. Screenshots of every page go to
 * {@code target/console-screenshots/}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SHOTS = Path.of("target", "console-screenshots");

    private static KeycloakServer keycloak;
    private static Platform platform;
    private static WebDriver browser;
    private static String base;
    private static String opsUser;
    private static String opsToken;
    private static String acmeId;
    private static String acmeKey;

    @BeforeAll
    static void start() throws Exception {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            if (System.getenv("LMAAS_REQUIRE_BROWSER") != null) {
                throw new IllegalStateException("chromium and chromedriver are required (apt-get install chromium chromium-driver)");
            }
            Assumptions.abort("no /usr/bin/chromium and /usr/bin/chromedriver (Debian's chromium, chromium-driver)");
        }
        keycloak = KeycloakServer.shared();
        Path dir = Platform.dataDir("console");
        platform = Platform.start(dir, Optional.empty(), true, Optional.of(keycloak.settings()));
        platform.platform.starters().await(10, java.util.concurrent.TimeUnit.MINUTES);
        base = platform.platform.url();
        keycloak.allowConsoleAt(base);
        opsUser = "ops-browser-" + System.nanoTime();
        keycloak.createUser(opsUser, "ops-password-1", "platform-admin");
        opsToken = OidcLogin.accessToken(keycloak, base, opsUser, "ops-password-1");
        Files.createDirectories(SHOTS);

        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile()).addArguments("--headless=new", "--no-sandbox",
                "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync", "--disable-quic", "--window-size=1280,900",
                "--user-data-dir=" + io.lmaas.core.testing.TempDirs.create("lmaas-chromium"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (platform != null) {
            platform.close();
        }
    }

    /** Waits, looking again when the page re-rendered an element under the condition (live tables do). */
    private static WebDriverWait waitUpTo(int seconds) {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(seconds));
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
        return wait;
    }

    private static WebElement visible(String css) {
        return waitUpTo(30).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(css)));
    }

    private static void go(String hash) {
        browser.get(base + "/console/" + hash);
    }

    private static void shot(String name) throws Exception {
        Thread.sleep(300); // charts draw on the next frame
        File png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(png.toPath(), SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    private static final Path AXE = Path.of("src/test/node/node_modules/axe-core/axe.min.js");

    /**
     * Runs axe-core (WCAG 2 A and AA rules) in the page shown and fails on serious or critical violations; the
     * full list goes next to the screenshots. Skipped only where the npm packages are not installed (outside CI).
     */
    private static void accessible(String name) throws Exception {
        if (!Files.isRegularFile(AXE)) {
            if (System.getenv("LMAAS_REQUIRE_BROWSER") != null) {
                throw new IllegalStateException("axe-core is missing: npm install in deploy/src/test/node");
            }
            return;
        }
        org.openqa.selenium.JavascriptExecutor js = (org.openqa.selenium.JavascriptExecutor) browser;
        js.executeScript(Files.readString(AXE));
        Object raw = js.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
                + ".then(r => done(JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
                + " targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))})))))"
                + ".catch(e => done(JSON.stringify([{id: 'axe-error', impact: 'critical', help: String(e)}])));");
        io.vertx.core.json.JsonArray violations = new io.vertx.core.json.JsonArray((String) raw);
        Files.writeString(SHOTS.resolve("axe-" + name + ".json"), violations.encodePrettily());
        assertThat(violations.stream().map(JsonObject.class::cast)
                .filter(v -> List.of("serious", "critical").contains(v.getString("impact"))).map(JsonObject::encode).toList())
                .as("accessibility of " + name).isEmpty();
    }

    private static void signIn(String username, String password) {
        go("#/overview");
        visible("#username").sendKeys(username);
        browser.findElement(By.cssSelector("#password")).sendKeys(password);
        browser.findElement(By.cssSelector("#kc-login")).click();
        waitUpTo(30).until(d -> d.getCurrentUrl().startsWith(base + "/console/"));
        waitUpTo(30).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#whoami"), username));
    }

    @Test
    @Order(1)
    void aPlatformAdminSignsInMakesATenantAndAKeyAndSeesItsTraffic() throws Exception {
        signIn(opsUser, "ops-password-1");
        visible("[data-stat=requests] .value");
        shot("01-overview-empty");

        // A tenant, made in the browser.
        browser.findElement(By.cssSelector("a[data-nav=tenants]")).click();
        WebElement name = visible("#create-tenant input[name=name]");
        name.sendKeys("browser-acme");
        name.submit();
        WebElement row = waitUpTo(30).until(ExpectedConditions.visibilityOfElementLocated(By.xpath(
                "//table[@id='tenants-table']//tr[@data-tenant-id][.//a[text()='browser-acme']]")));
        acmeId = row.getAttribute("data-tenant-id");
        shot("02-tenants");
        accessible("tenants");
        row.findElement(By.cssSelector("a")).click();

        // A key: shown once, then only masked.
        WebElement keyName = visible("#create-key input[name=name]");
        keyName.sendKeys("browser-key");
        keyName.submit();
        WebElement secret = visible("#new-key-value");
        waitUpTo(10).until(d -> secret.getText().startsWith("lm-"));
        acmeKey = secret.getText();
        shot("03-tenant-new-key");
        accessible("tenant");
        browser.findElement(By.xpath("//div[@id='new-key']//button[text()='Done']")).click();
        waitUpTo(10).until(ExpectedConditions.invisibilityOfElementLocated(By.cssSelector("#new-key")));
        assertThat(browser.findElement(By.cssSelector("#new-key-value")).getText()).isEmpty();
        WebElement keyRow = visible("#keys-table tr[data-key-id]");
        assertThat(keyRow.getText()).contains("browser-key").doesNotContain(acmeKey);
        assertThat(browser.getPageSource()).doesNotContain(acmeKey);
        // The key's own limits (within the tenant's).
        keyRow.findElement(By.cssSelector("button[data-action=limits]")).click();
        WebElement keyRpm = visible("tr[data-limits-for] input[name=rpm]");
        keyRpm.sendKeys("120");
        keyRpm.submit();
        String keyId = keyRow.getAttribute("data-key-id");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Long.valueOf(120).equals(platform.send("GET",
                "/admin/v1/tenants/" + acmeId + "/keys/" + keyId, opsToken, null).json().getJsonObject("limits").getLong("rpm")));

        // Traffic with that key...
        for (int i = 0; i < 3; i++) {
            Platform.Response r = platform.send("POST", "/v1/classifications", acmeKey, new JsonObject().put("model", "starter-classifier")
                    .put("input", "the striker scored twice in the final"));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
        // ... shows on the overview (requests over time, top tenants) once the hourly roll-up (a few seconds behind) has it...
        go("#/overview");
        waitUpTo(30).until(d -> {
            d.navigate().refresh(); // the same #/overview again is no navigation: reload to ask the API again
            WebElement value = visible("[data-stat=requests] .value");
            return value.getText().matches("\\d+") && Long.parseLong(value.getText()) >= 3;
        });
        waitUpTo(10).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#top-tenants"), "browser-acme"));
        assertThat(browser.findElement(By.cssSelector("#top-models")).getText()).contains("starter-classifier");
        assertThat(browser.findElements(By.cssSelector("[data-chart=requests] canvas"))).isNotEmpty();
        shot("04-overview-traffic");
        accessible("overview");

        // ... and on the tenant's usage page, by model.
        go("#/usage?tenant=" + acmeId);
        new Select(visible("#usage-group")).selectByValue("model");
        waitUpTo(30).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#usage-table"), "starter-classifier"));
        shot("05-usage");
        accessible("usage");

        // The other pages render (with data or a clear empty state).
        for (String page : List.of("models", "deployments", "jobs", "audit")) {
            go("#/" + page);
            visible("#" + page + "-table");
            assertThat(browser.findElements(By.cssSelector("[data-state=error]")).stream().filter(WebElement::isDisplayed).toList())
                    .as(page).isEmpty();
            if (page.equals("deployments")) {
                waitUpTo(10).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#deployments-table"),
                        "starter-classifier"));
            }
            if (page.equals("audit")) {
                waitUpTo(10).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#audit-table"), "tenant.create"));
                assertThat(browser.findElement(By.cssSelector("#audit-table")).getText()).contains("user:" + opsUser);
            }
            shot("06-" + page);
            accessible(page);
        }

        // A model registered and its version uploaded as a zip, in the browser; a bad archive is refused with the reason.
        go("#/models");
        WebElement modelId = visible("#register-model input[name=id]");
        modelId.sendKeys("browser-uploaded");
        new Select(browser.findElement(By.cssSelector("#register-model select[name=task]"))).selectByValue("text-classification");
        modelId.submit();
        waitUpTo(30).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#models-table"), "browser-uploaded"));
        Path bad = zip(io.lmaas.core.testing.TempDirs.create("bad-model"), "README.txt", "not a model");
        waitUpTo(10).until(d -> new Select(d.findElement(By.cssSelector("#add-version select[name=model]"))).getOptions().stream()
                .anyMatch(o -> o.getAttribute("value").equals("browser-uploaded")));
        new Select(browser.findElement(By.cssSelector("#add-version select[name=model]"))).selectByValue("browser-uploaded");
        WebElement version = browser.findElement(By.cssSelector("#add-version input[name=version]"));
        version.sendKeys("1");
        browser.findElement(By.cssSelector("#add-version input[name=archive]")).sendKeys(bad.toString());
        version.submit();
        WebElement refused = visible("#add-version [data-state=error]");
        assertThat(refused.getText()).contains("invalid_model_version");
        shot("06-models-upload-refused");
        Path good = zipDirectory(new io.lmaas.core.artifacts.ArtifactStore(platform.dataDir.resolve("artifacts"))
                .modelVersion("starter-classifier", "1"));
        browser.findElement(By.cssSelector("#add-version input[name=archive]")).sendKeys(good.toString());
        version.submit();
        waitUpTo(60).until(d -> d.findElements(By.xpath("//table[@id='models-table']//tr[.//*[text()='browser-uploaded']]"))
                .stream().anyMatch(r -> r.getText().contains("1")) && d.findElements(By.cssSelector("#add-version [data-state=error]"))
                .isEmpty());
        assertThat(platform.send("GET", "/admin/v1/models", opsToken, null).json().getJsonArray("data").stream()
                .map(JsonObject.class::cast).filter(m -> m.getString("id").equals("browser-uploaded")).findFirst().orElseThrow()
                .getJsonArray("versions").getList()).containsExactly("1");
        // What the version is, read from its files at registration, is shown with it (and it can be downloaded).
        assertThat(browser.findElement(By.xpath("//table[@id='models-table']//tr[.//*[text()='browser-uploaded']]"))
                .findElement(By.cssSelector(".model-info")).getText()).contains("encoder-classifier", "float32", "tokens",
                "Download 1");

        // The playground: a classification through the tenant API with the tenant's key, explained token by token.
        browser.findElement(By.cssSelector("a[data-nav=playground]")).click();
        visible("#playground-key").sendKeys(acmeKey);
        browser.findElement(By.cssSelector("#playground-model")).sendKeys("starter-classifier");
        browser.findElement(By.cssSelector("#playground-text")).sendKeys("the striker scored twice in the final");
        WebElement steps = browser.findElement(By.cssSelector("#playground-steps"));
        steps.clear();
        steps.sendKeys("16");
        browser.findElement(By.cssSelector("#playground-run")).click();
        List<WebElement> tokens;
        try {
            tokens = waitUpTo(60).until(ExpectedConditions.numberOfElementsToBeMoreThan(By.cssSelector("#playground-tokens .token"), 2));
        } catch (org.openqa.selenium.TimeoutException e) {
            shot("08-playground-failed");
            throw new AssertionError("the playground showed: " + browser.findElement(By.cssSelector("main")).getText(), e);
        }
        assertThat(tokens).allSatisfy(t -> assertThat(t.getAttribute("data-attribution")).matches("-?[0-9.eE+-]+"));
        assertThat(browser.findElement(By.cssSelector("#playground-label")).getText()).startsWith("Label: ");
        shot("08-playground-explained");
        accessible("playground");
        browser.findElement(By.cssSelector("#playground-model")).clear();
        browser.findElement(By.cssSelector("#playground-model")).sendKeys("no-such-model");
        browser.findElement(By.cssSelector("#playground-run")).click();
        waitUpTo(30).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#playground-form [data-state=error]"),
                "model_not_found"));

        // A narrow window still lays out (navigation wraps, tables scroll inside their wrapper).
        browser.manage().window().setSize(new Dimension(460, 900));
        go("#/overview");
        visible("[data-stat=requests] .value");
        shot("07-overview-narrow");
        accessible("overview-narrow");
        browser.manage().window().setSize(new Dimension(1280, 900));
    }

    @Test
    @Order(2)
    void aTenantAdminSeesOnlyTheirTenantAndAJobsProgressAndLossCurve() throws Exception {
        String globex = platform.send("POST", "/admin/v1/tenants", opsToken, new JsonObject().put("name", "browser-globex")).json()
                .getString("id");
        // The platform admin sets the tenant's limits and invites its admin on the tenant page.
        String email = "admin-" + System.nanoTime() + "@acme.test";
        go("#/tenants/" + acmeId);
        WebElement rpm = visible("#limits-form input[name=rpm]");
        rpm.clear();
        rpm.sendKeys("6000");
        rpm.submit();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Long.valueOf(6000).equals(platform.send("GET",
                "/admin/v1/tenants/" + acmeId + "/limits", opsToken, null).json().getLong("rpm")));
        WebElement nominal = visible("#gpu-queue-form input[name=nominal]");
        nominal.sendKeys("h100:four");
        nominal.submit();
        waitUpTo(10).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#gpu-queue-form"), "flavor=count"));
        nominal.clear();
        nominal.sendKeys("h100=4, l4=2");
        WebElement weight = browser.findElement(By.cssSelector("#gpu-queue-form input[name=weight]"));
        weight.clear();
        weight.sendKeys("3");
        browser.findElement(By.cssSelector("#gpu-queue-form input[name=fine_tuning_seconds_per_month]")).sendKeys("36000");
        nominal.submit();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> platform.send("GET", "/admin/v1/tenants/"
                + acmeId + "/gpu-queue", opsToken, null).json().getInteger("weight") == 3);
        JsonObject queue = platform.send("GET", "/admin/v1/tenants/" + acmeId + "/gpu-queue", opsToken, null).json();
        assertThat(queue.getJsonObject("nominal")).isEqualTo(new JsonObject().put("h100", 4).put("l4", 2));
        assertThat(queue.getLong("fine_tuning_seconds_per_month")).isEqualTo(36000);
        // Data retention: files kept 30 days, zero retention for the rest.
        WebElement filesDays = visible("#retention-files-days");
        filesDays.sendKeys("30");
        browser.findElement(By.cssSelector("#retention-zero")).click();
        filesDays.submit();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Boolean.TRUE.equals(platform.send("GET",
                "/admin/v1/tenants/" + acmeId + "/retention", opsToken, null).json().getBoolean("zero_retention")));
        JsonObject retention = platform.send("GET", "/admin/v1/tenants/" + acmeId + "/retention", opsToken, null).json();
        assertThat(retention.getInteger("files_days")).isEqualTo(30);
        assertThat(retention.getValue("batch_outputs_days")).isNull();
        shot("04b-tenant-retention");
        WebElement invite = visible("#invite-admin input[name=email]");
        invite.sendKeys(email);
        browser.findElement(By.cssSelector("#invite-admin input[name=password]")).sendKeys("acme-password-1");
        invite.submit();
        waitUpTo(30).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), email));
        shot("08-tenant-admins");

        // A fine-tuning job of the tenant's (made with its key), finished before we look.
        String file = platform.upload(acmeKey, "fine-tune", "topics.jsonl", jsonl(SyntheticTopics.novelExamples(300, 5))).getString("id");
        String job = platform.send("POST", "/v1/fine_tuning/jobs", acmeKey, new JsonObject().put("model", "starter-classifier")
                .put("training_file", file).put("hyperparameters", new JsonObject().put("n_epochs", 3))).json().getString("id");
        org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(3)).until(() -> "succeeded".equals(platform.send("GET",
                "/v1/fine_tuning/jobs/" + job, acmeKey, null).json().getString("status")));

        // Sign out, sign in as the tenant admin.
        go("#/overview");
        visible("#sign-out").click();
        waitUpTo(30).until(d -> d.getCurrentUrl().contains("/realms/") || !d.findElements(By.cssSelector("#username")).isEmpty());
        browser.manage().deleteAllCookies();
        signIn(email, "acme-password-1");

        go("#/tenants");
        waitUpTo(30).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#tenants-table tr[data-tenant-id]")));
        assertThat(browser.findElements(By.cssSelector("#tenants-table tr[data-tenant-id]")).stream()
                .map(r -> r.getAttribute("data-tenant-id")).toList()).containsExactly(acmeId);
        assertThat(browser.findElements(By.cssSelector("#create-tenant"))).as("platform-only form hidden")
                .allMatch(e -> !e.isDisplayed());
        shot("09-tenant-admin-tenants");
        go("#/tenants/" + globex);
        visible("[data-state=not-found]");
        shot("09-tenant-admin-other-tenant-404");

        go("#/jobs");
        WebElement jobRow = visible("#jobs-table tr[data-job-id='" + job + "']");
        assertThat(jobRow.getText()).contains("succeeded");
        go("#/jobs/" + job);
        waitUpTo(30).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#job-status"), "succeeded"));
        WebElement progress = visible("progress#job-progress");
        assertThat(progress.getAttribute("max")).isNotNull();
        assertThat(Double.parseDouble(progress.getAttribute("value"))).isEqualTo(Double.parseDouble(progress.getAttribute("max")))
                .isPositive();
        waitUpTo(30).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-chart=loss] canvas")));
        assertThat(browser.findElement(By.cssSelector("#job-events")).getText()).contains("train loss");
        assertThat(browser.findElement(By.cssSelector("#cancel-job")).isEnabled()).isFalse();
        shot("10-job");
        accessible("job");
    }

    @Test
    @Order(3)
    void withoutKeycloakTheBootstrapTokenSignsIn() throws Exception {
        Path dir = Platform.dataDir("console-local");
        try (Platform local = Platform.start(dir, Optional.empty(), false)) {
            browser.manage().deleteAllCookies();
            browser.get(local.platform.url() + "/console/#/tenants");
            visible("#admin-token").sendKeys("not-the-token");
            browser.findElement(By.cssSelector("#sign-in")).click();
            waitUpTo(10).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("body"), "not valid"));
            WebElement token = visible("#admin-token");
            token.clear();
            token.sendKeys(local.adminToken());
            browser.findElement(By.cssSelector("#sign-in")).click();
            waitUpTo(30).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#whoami"), "admin"));
            WebElement name = visible("#create-tenant input[name=name]");
            name.sendKeys("local-co");
            name.submit();
            waitUpTo(30).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#tenants-table"), "local-co"));
            shot("11-local-token-mode");
            // Tenant admins are Keycloak users: without Keycloak the console does not offer invitations.
            browser.findElement(By.xpath("//table[@id='tenants-table']//a[text()='local-co']")).click();
            visible("#create-key");
            assertThat(browser.findElements(By.cssSelector("#invite-admin"))).isEmpty();

            // Deleting the tenant takes its name typed in full; then it is gone from the list.
            WebElement confirm = visible("#delete-tenant-confirm");
            WebElement delete = browser.findElement(By.cssSelector("#delete-tenant button[type=submit]"));
            confirm.sendKeys("local-c");
            assertThat(delete.isEnabled()).isFalse();
            confirm.sendKeys("o");
            assertThat(delete.isEnabled()).isTrue();
            shot("12-tenant-delete");
            delete.click();
            waitUpTo(30).until(d -> d.getCurrentUrl().endsWith("#/tenants"));
            visible("#tenants-table");
            waitUpTo(10).until(d -> !d.findElement(By.cssSelector("#tenants-table")).getText().contains("local-co"));

            // The API reference: Swagger UI over the gateway's own /openapi.json, under the console's CSP.
            browser.findElement(By.cssSelector("a[href='./api-docs.html']")).click();
            waitUpTo(30).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#api-docs"),
                    "/v1/chat/completions"));
            assertThat(browser.findElements(By.cssSelector("#api-docs .opblock")).size()).isGreaterThanOrEqualTo(60);
            shot("12-api-reference");
        }
    }

    private static Path zip(Path dir, String name, String content) throws Exception {
        Files.writeString(dir.resolve(name), content);
        return zipDirectory(dir);
    }

    /** A zip of a directory's files (one level), as someone would upload a model version. */
    private static Path zipDirectory(Path dir) throws Exception {
        Path zip = io.lmaas.core.testing.TempDirs.create("model-zip-").resolve("model.zip");
        try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip)); var files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(new java.util.zip.ZipEntry("version/" + f.getFileName()));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
        return zip;
    }

    private static String jsonl(List<SyntheticTopics.Example> examples) {
        StringBuilder sb = new StringBuilder();
        examples.forEach(e -> sb.append(new JsonObject().put("text", e.text()).put("label", e.label()).encode()).append('\n'));
        return sb.toString();
    }
}
