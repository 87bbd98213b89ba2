using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LoginConsumer.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests.Deploy;

/// <summary>deploy/: every overlay renders, every object validates against its schema, and the production invariants hold.</summary>
public sealed partial class KubernetesManifestTests(ITestOutputHelper output)
{
    private const string RunbookBase = "https://github.com/loginconsumer/loginconsumer/blob/main/docs/operations.md";

    public static TheoryData<string> Overlays => new() { "local", "production" };

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Overlay_Renders_AndEveryObjectValidatesAgainstItsSchema(string overlay)
    {
        var file = await Tooling.RenderAsync(overlay);
        var results = await Tooling.ManifestsAsync("validate", file);
        foreach (var result in results)
        {
            output.WriteLine($"{result!["apiVersion"]} {result["kind"]} {result["name"]}: {((bool)result["valid"]! ? "valid" : result["error"])}");
        }

        Assert.NotEmpty(results);
        Assert.All(results, r => Assert.True((bool)r!["valid"]!, $"{r["kind"]} {r["name"]}: {r["error"]}"));
        var kinds = results.Select(r => (string)r!["kind"]!).ToHashSet();
        foreach (var kind in new[] { "Deployment", "ServiceAccount", "ConfigMap", "Job", "PodDisruptionBudget" })
        {
            Assert.Contains(kind, kinds);
        }

        if (overlay == "production")
        {
            // KEDA, and the monitoring component (the Prometheus Operator's objects and the dashboard).
            foreach (var kind in new[] { "ScaledObject", "TriggerAuthentication", "PodMonitor", "PrometheusRule" })
            {
                Assert.Contains(kind, kinds);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Overlay_ConsumerAndMigrationPods_RunRestrictedWithProbesLimitsAndPinnedImages(string overlay)
    {
        var objects = await ObjectsAsync(overlay);
        var ours = objects.Where(o => (string?)o["metadata"]?["labels"]?["app.kubernetes.io/name"] == "loginconsumer").ToList();
        var workloads = ours.Where(o => (string?)o["kind"] is "Deployment" or "Job").ToList();
        Assert.Equal(3, workloads.Count); // the consumer, the migrate Job, the operators' toolbox

        foreach (var workload in workloads)
        {
            var name = (string)workload["metadata"]!["name"]!;
            var pod = workload["spec"]!["template"]!["spec"]!;
            Assert.True((bool?)pod["securityContext"]?["runAsNonRoot"] == true, $"{name}: runAsNonRoot");
            Assert.Equal(1654, (int?)pod["securityContext"]?["runAsUser"]);
            Assert.Equal("RuntimeDefault", (string?)pod["securityContext"]?["seccompProfile"]?["type"]);
            Assert.False((bool?)pod["automountServiceAccountToken"] ?? true, $"{name}: the service account token is not needed");
            foreach (var container in pod["containers"]!.AsArray())
            {
                var security = container!["securityContext"]!;
                Assert.False((bool)security["allowPrivilegeEscalation"]!, $"{name}: allowPrivilegeEscalation");
                Assert.True((bool)security["readOnlyRootFilesystem"]!, $"{name}: readOnlyRootFilesystem");
                Assert.Equal(["ALL"], security["capabilities"]!["drop"]!.AsArray().Select(c => (string)c!));
                Assert.Contains(container["volumeMounts"]!.AsArray(), m => (string?)m!["mountPath"] == "/tmp");
                Assert.NotNull(container["resources"]?["requests"]?["memory"]);
                Assert.NotNull(container["resources"]?["limits"]?["memory"]);
            }
        }

        var consumer = workloads.Single(w => (string?)w["kind"] == "Deployment" && !IsOperator(w))["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("/health/live", (string?)consumer["livenessProbe"]?["httpGet"]?["path"]);
        Assert.Equal("/health/live", (string?)consumer["startupProbe"]?["httpGet"]?["path"]);
        Assert.Equal("/health/ready", (string?)consumer["readinessProbe"]?["httpGet"]?["path"]);

        // Every image anywhere in the overlay carries a pinned tag (or a digest), never "latest" or none.
        foreach (var image in objects.SelectMany(Images))
        {
            output.WriteLine(image);
            var tag = image.Contains('@', StringComparison.Ordinal) ? "digest" : image[(image.LastIndexOf('/') + 1)..].Split(':').ElementAtOrDefault(1);
            Assert.False(string.IsNullOrEmpty(tag) || tag == "latest", $"{image} is not pinned");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Overlay_ConfigMapsHoldNoSecretsAndGracePeriodCoversTheShutdown(string overlay)
    {
        var objects = await ObjectsAsync(overlay);
        foreach (var map in objects.Where(o => (string?)o["kind"] == "ConfigMap"))
        {
            foreach (var (key, value) in map["data"]?.AsObject() ?? [])
            {
                var text = (string?)value ?? string.Empty;
                Assert.DoesNotMatch("(?i)password|secret|masking__keys|token", key);
                Assert.DoesNotMatch("(?i)password=", text);
                Assert.False(LooksLikeKey(text), $"ConfigMap {map["metadata"]!["name"]} key {key} holds what looks like key material");
            }
        }

        var settings = SettingsOf(objects, "Deployment");
        var longPoll = int.Parse((string)settings["Sqs__WaitTimeSeconds"]!, CultureInfo.InvariantCulture);
        var batch = TimeSpan.Parse((string)settings["BatchWriter__CommandTimeout"]!, CultureInfo.InvariantCulture).TotalSeconds;
        var shutdown = TimeSpan.Parse((string)settings["HostOptions__ShutdownTimeout"]!, CultureInfo.InvariantCulture).TotalSeconds;
        var grace = (int)objects.Single(o => (string?)o["kind"] == "Deployment" && (string?)o["metadata"]!["name"] == "loginconsumer")["spec"]!["template"]!["spec"]!["terminationGracePeriodSeconds"]!;
        output.WriteLine($"grace {grace} s > long poll {longPoll} + batch {batch} + host shutdown {shutdown} = {longPoll + batch + shutdown} s");
        Assert.True(grace > longPoll + batch + shutdown);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Overlay_SettingsAreGeneratedWithTheReleaseImageAndTheMigrateJobIsNamedAfterThem(string overlay)
    {
        var objects = await ObjectsAsync(overlay);
        var deployment = objects.Single(o => (string?)o["kind"] == "Deployment" && (string?)o["metadata"]!["name"] == "loginconsumer");
        var image = (string)deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!;
        foreach (var kind in new[] { "Deployment", "Job" })
        {
            Assert.Equal("container.image.name=" + image, (string?)SettingsOf(objects, kind)["OTEL_RESOURCE_ATTRIBUTES"]);
        }

        Assert.Matches("^loginconsumer-[a-z0-9]{10}$", ConfigMapNameOf(deployment));
        var job = NameOf(objects, "Job");
        output.WriteLine($"{overlay}: consumer settings {ConfigMapNameOf(deployment)}, Job {job}");
        Assert.Equal(ConfigMapNameOf(objects.Single(o => (string?)o["kind"] == "Job")), job);
        Assert.Matches("^loginconsumer-migrate-[a-z0-9]{10}$", job); // a DNS label: the Job's pods carry it as a label value
    }

    [Fact]
    public async Task Production_ANewImageOrSettingRollsTheConsumerAndNamesANewMigrateJob()
    {
        var copy = Path.Combine(Path.GetTempPath(), "loginconsumer-deploy-" + Guid.NewGuid().ToString("N"));
        CopyDirectory(Path.Combine(RepoPaths.Root, "deploy"), copy);
        try
        {
            var overlay = Path.Combine(copy, "overlays", "production");
            var releases = new List<List<JsonNode>> { await ObjectsAsync("production", copy) };

            var kustomization = Path.Combine(overlay, "kustomization.yaml");
            var text = await File.ReadAllTextAsync(kustomization);
            Assert.Contains("newTag: 1.0.0", text, StringComparison.Ordinal);
            await File.WriteAllTextAsync(kustomization, text.Replace("newTag: 1.0.0", "newTag: 1.0.1", StringComparison.Ordinal));
            releases.Add(await ObjectsAsync("production", copy));

            await File.AppendAllTextAsync(Path.Combine(overlay, "settings.env"), "Sqs__Receivers=8\n");
            releases.Add(await ObjectsAsync("production", copy));

            var jobs = releases.Select(r => NameOf(r, "Job")).ToList();
            var settings = releases.Select(r => ConfigMapNameOf(r.Single(o => (string?)o["kind"] == "Deployment" && (string?)o["metadata"]!["name"] == "loginconsumer"))).ToList();
            output.WriteLine($"Jobs: {string.Join(", ", jobs)}; consumer settings: {string.Join(", ", settings)}");
            Assert.Equal(3, jobs.Distinct().Count());
            Assert.Equal(3, settings.Distinct().Count()); // the pod template changes with it: the Deployment rolls
            Assert.EndsWith(":1.0.1", (string?)SettingsOf(releases[1], "Job")["OTEL_RESOURCE_ATTRIBUTES"], StringComparison.Ordinal);
            Assert.Equal("8", (string?)SettingsOf(releases[2], "Deployment")["Sqs__Receivers"]);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public async Task Production_MonitoringComponent_ScrapesTheConsumerAndShipsRulesWithRunbooksAndTheDashboard()
    {
        var objects = await ObjectsAsync("production");
        var deployment = objects.Single(o => (string?)o["kind"] == "Deployment" && (string?)o["metadata"]!["name"] == "loginconsumer");
        var podLabels = deployment["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
        var monitor = objects.Single(o => (string?)o["kind"] == "PodMonitor" && (string?)o["metadata"]!["name"] == "loginconsumer")["spec"]!;
        Assert.All(monitor["selector"]!["matchLabels"]!.AsObject(), kv => Assert.Equal((string?)kv.Value, (string?)podLabels[kv.Key]));
        var port = (string)monitor["podMetricsEndpoints"]![0]!["port"]!;
        Assert.Contains(deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["ports"]!.AsArray(), p => (string?)p!["name"] == port);

        // Every alert carries a severity and a runbook_url whose anchor is a heading of docs/operations.md.
        var anchors = Headings().Matches(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "docs", "operations.md")))
            .Select(m => GitHubAnchor(m.Groups[1].Value)).ToHashSet();
        var rules = objects.Single(o => (string?)o["kind"] == "PrometheusRule")["spec"]!["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray()).ToList();
        Assert.NotEmpty(rules);
        foreach (var rule in rules.Where(r => r!["alert"] is not null))
        {
            var alert = (string)rule!["alert"]!;
            Assert.NotNull((string?)rule["labels"]?["severity"]);
            var url = (string?)rule["annotations"]?["runbook_url"];
            Assert.True(url is not null, $"{alert} has no runbook_url");
            Assert.StartsWith(RunbookBase + "#", url, StringComparison.Ordinal);
            Assert.True(anchors.Contains(url[(url.IndexOf('#', StringComparison.Ordinal) + 1)..]), $"{alert}: {url} names no heading of docs/operations.md");
        }

        // The dashboard, as the Grafana sidecar loads it: a ConfigMap labelled grafana_dashboard, holding the JSON file.
        var dashboard = objects.Single(o => (string?)o["kind"] == "ConfigMap" && (string?)o["metadata"]!["labels"]?["grafana_dashboard"] == "1");
        var json = (string)dashboard["data"]!.AsObject().Single().Value!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "deploy", "monitoring", "grafana-dashboard.json"))), JsonNode.Parse(json)));
    }

    [Fact]
    public async Task Production_RunbookBase_ComesFromRunbooksEnvAloneAndTheErrorQueueAgeFromCloudWatch()
    {
        var copy = Path.Combine(Path.GetTempPath(), "loginconsumer-deploy-" + Guid.NewGuid().ToString("N"));
        CopyDirectory(Path.Combine(RepoPaths.Root, "deploy"), copy);
        try
        {
            const string Base = "https://wiki.example.org/teams/data/loginconsumer-operations";
            await File.WriteAllTextAsync(Path.Combine(copy, "monitoring", "runbooks.env"), "RUNBOOK_BASE=" + Base + "\n");
            var objects = await ObjectsAsync("production", copy);
            var rules = objects.Single(o => (string?)o["kind"] == "PrometheusRule")["spec"]!["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray()).ToList();
            var alerts = rules.Where(r => r!["alert"] is not null).ToList();
            Assert.NotEmpty(alerts);
            Assert.All(alerts, r => Assert.Equal(Base + "#" + ((string)r!["alert"]!).ToLowerInvariant(), (string?)r["annotations"]!["runbook_url"]));
            Assert.DoesNotContain(objects, o => ((string?)o["metadata"]!["name"])?.StartsWith("loginconsumer-runbooks", StringComparison.Ordinal) == true); // never applied

            // The CloudWatch exporter: its PodMonitor keeps SQS's ApproximateAgeOfOldestMessage under the name the
            // recording rule reads; its service account carries a role of its own.
            var monitor = objects.Single(o => (string?)o["kind"] == "PodMonitor" && (string?)o["metadata"]!["name"] == "loginconsumer-cloudwatch")["spec"]!;
            var renamed = (string)monitor["podMetricsEndpoints"]![0]!["metricRelabelings"]!.AsArray().Single(r => (string?)r!["targetLabel"] == "__name__")!["replacement"]!;
            var record = rules.Single(r => (string?)r!["record"] == "loginconsumer:error_queue_oldest_age_seconds:max")!;
            Assert.Contains(renamed, (string)record["expr"]!, StringComparison.Ordinal);
            var exporter = objects.Single(o => (string?)o["kind"] == "Deployment" && (string?)o["metadata"]!["name"] == "loginconsumer-cloudwatch");
            Assert.All(monitor["selector"]!["matchLabels"]!.AsObject(), kv => Assert.Equal((string?)kv.Value, (string?)exporter["spec"]!["template"]!["metadata"]!["labels"]![kv.Key]));
            var account = objects.Single(o => (string?)o["kind"] == "ServiceAccount" && (string?)o["metadata"]!["name"] == (string?)exporter["spec"]!["template"]!["spec"]!["serviceAccountName"]);
            Assert.Matches("^arn:aws:iam::[0-9]{12}:role/loginconsumer-cloudwatch$", (string?)account["metadata"]!["annotations"]!["eks.amazonaws.com/role-arn"]);
            var config = (string)objects.Single(o => (string?)o["kind"] == "ConfigMap" && ((string?)o["metadata"]!["name"])!.StartsWith("loginconsumer-cloudwatch-", StringComparison.Ordinal))["data"]!["config.yml"]!;
            Assert.Contains("ApproximateAgeOfOldestMessage", config, StringComparison.Ordinal);
            Assert.Contains("login-queue_error", config, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public async Task Production_OperatorToolbox_IdlesAtZeroAsItsOwnRoleWithTheReleasesImageSettingsAndTheReadOnlyDatabaseRole()
    {
        var objects = await ObjectsAsync("production");
        var consumer = objects.Single(o => (string?)o["kind"] == "Deployment" && (string?)o["metadata"]!["name"] == "loginconsumer");
        var toolbox = objects.Single(IsOperator);
        Assert.Equal(0, (int)toolbox["spec"]!["replicas"]!);
        var pod = toolbox["spec"]!["template"]!["spec"]!;
        var container = pod["containers"]![0]!;
        Assert.Equal((string?)consumer["spec"]!["template"]!["spec"]!["containers"]![0]!["image"], (string?)container["image"]);
        Assert.Equal(ConfigMapNameOf(consumer), ConfigMapNameOf(toolbox));
        Assert.Equal(["sleep", "infinity"], container["command"]!.AsArray().Select(c => (string)c!));
        Assert.StartsWith("/app:", (string?)container["env"]!.AsArray().Single(e => (string?)e!["name"] == "PATH")!["value"], StringComparison.Ordinal);

        // The read-only database role that migrate grants (Migrations__ReadOnlyRole), with its own password.
        var settings = SettingsOf(objects, "Deployment");
        Assert.Equal((string?)settings["DB_READER_USER"], (string?)settings["Migrations__ReadOnlyRole"]);
        var env = container["env"]!.AsArray();
        Assert.Contains("Username=$(DB_READER_USER)", (string?)env.Single(e => (string?)e!["name"] == "ConnectionStrings__LoginDb")!["value"], StringComparison.Ordinal);
        Assert.Equal("reader-password", (string?)env.Single(e => (string?)e!["name"] == "PGPASSWORD")!["valueFrom"]!["secretKeyRef"]!["key"]);

        // Its own service account and IAM role: deploy/iam's operator policy, trusted for exactly this account.
        var accountName = (string)pod["serviceAccountName"]!;
        Assert.NotEqual((string?)consumer["spec"]!["template"]!["spec"]!["serviceAccountName"], accountName);
        var account = objects.Single(o => (string?)o["kind"] == "ServiceAccount" && (string?)o["metadata"]!["name"] == accountName);
        var roleArn = (string)account["metadata"]!["annotations"]!["eks.amazonaws.com/role-arn"]!;
        Assert.Matches("^arn:aws:iam::[0-9]{12}:role/loginconsumer-operator$", roleArn);
        var iam = Path.Combine(RepoPaths.Root, "deploy", "iam");
        var trust = await File.ReadAllTextAsync(Path.Combine(iam, "operator-trust-policy-irsa.json"));
        Assert.Contains($"system:serviceaccount:{(string?)account["metadata"]!["namespace"]}:{accountName}", trust, StringComparison.Ordinal);

        // The policy allows what the dlq commands and summary call, and no move task (dlq redrive never uses one).
        var policy = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(iam, "operator-policy.json")))!["Statement"]!.AsArray();
        string[] Allowed(string queue) => [.. policy.Where(st => ((string)st!["Resource"]!).EndsWith(":" + queue, StringComparison.Ordinal)).SelectMany(st => st!["Action"]!.AsArray()).Select(a => (string)a!)];
        Assert.Equal(
            ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:PurgeQueue", "sqs:ReceiveMessage"],
            Allowed("login-queue_error").Order());
        Assert.Equal(["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"], Allowed("login-queue").Order());
    }

    [Fact]
    public async Task Production_CreatesItsNamespaceAutoscalesThroughARoleOfKedasOwnAndTheServiceAccountCarriesTheConsumersRole()
    {
        var objects = await ObjectsAsync("production");
        var account = objects.Single(o => (string?)o["kind"] == "ServiceAccount" && (string?)o["metadata"]!["name"] == "loginconsumer");
        Assert.Matches("^arn:aws:iam::[0-9]{12}:role/", (string?)account["metadata"]!["annotations"]!["eks.amazonaws.com/role-arn"]);

        var scaled = objects.Single(o => (string?)o["kind"] == "ScaledObject")["spec"]!;
        var trigger = scaled["triggers"]![0]!;
        Assert.Equal("aws-sqs-queue", (string?)trigger["type"]);
        Assert.EndsWith("/login-queue", (string?)trigger["metadata"]!["queueURL"], StringComparison.Ordinal);
        Assert.InRange(int.Parse((string)trigger["metadata"]!["queueLength"]!, CultureInfo.InvariantCulture), 100, 100_000);
        Assert.InRange((int)scaled["minReplicaCount"]!, 1, (int)scaled["maxReplicaCount"]!);
        var auth = objects.Single(o => (string?)o["kind"] == "TriggerAuthentication");
        Assert.Equal((string?)trigger["authenticationRef"]!["name"], (string?)auth["metadata"]!["name"]);
        Assert.Equal("aws", (string?)auth["spec"]!["podIdentity"]!["provider"]);

        // KEDA assumes a role of its own, whatever gives the operator its identity (IRSA or Pod Identity); deploy/iam
        // holds that role's policy, its trust in the operator's role, and the operator's right to assume it.
        var scalerRole = (string)auth["spec"]!["podIdentity"]!["roleArn"]!;
        Assert.Matches("^arn:aws:iam::[0-9]{12}:role/", scalerRole);
        Assert.Null(auth["spec"]!["podIdentity"]!["identityOwner"]);
        var iam = Path.Combine(RepoPaths.Root, "deploy", "iam");
        var scalerPolicy = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(iam, "keda-scaler-policy.json")))!;
        Assert.Equal(["sqs:GetQueueAttributes"], scalerPolicy["Statement"]!.AsArray().SelectMany(st => st!["Action"]!.AsArray()).Select(a => (string?)a));
        var operatorPolicy = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(iam, "keda-operator-policy.json")))!;
        Assert.Equal(scalerRole, (string?)operatorPolicy["Statement"]![0]!["Resource"]);
        var trust = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(iam, "keda-scaler-trust-policy.json")))!;
        Assert.Equal("sts:AssumeRole", (string?)trust["Statement"]![0]!["Action"]);
        Assert.NotNull(trust["Statement"]![0]!["Principal"]!["AWS"]);

        // A first apply on a fresh cluster: the overlay creates its own namespace.
        var ns = objects.Single(o => (string?)o["kind"] == "Namespace");
        Assert.Equal((string?)account["metadata"]!["namespace"], (string?)ns["metadata"]!["name"]);

        var pdb = objects.Single(o => (string?)o["kind"] == "PodDisruptionBudget")["spec"]!;
        Assert.Equal(1, (int?)pdb["maxUnavailable"]);
    }

    [Fact]
    public void IamPolicy_GrantsTheConsumerOnlyWhatItCalls()
    {
        var policy = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "iam", "consumer-policy.json")))!;
        var grants = policy["Statement"]!.AsArray()
            .Where(s => (string?)s!["Effect"] == "Allow")
            .SelectMany(s => Strings(s!["Resource"]).SelectMany(r => Strings(s["Action"]).Select(a => (Resource: r, Action: a))))
            .ToList();
        var main = grants.Where(g => g.Resource.EndsWith(":login-queue", StringComparison.Ordinal)).Select(g => g.Action).Order().ToList();
        var error = grants.Where(g => g.Resource.EndsWith(":login-queue_error", StringComparison.Ordinal)).Select(g => g.Action).Order().ToList();
        var key = grants.Where(g => g.Resource.StartsWith("arn:aws:kms:", StringComparison.Ordinal) && g.Resource.Contains(":key/", StringComparison.Ordinal)).Select(g => g.Action).Order().ToList();

        Assert.Equal(grants.Count, main.Count + error.Count + key.Count); // no other resource, no wildcard
        Assert.Equal(["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage"], main);
        Assert.Equal(["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"], error);

        // SSE-KMS queues: receiving decrypts, sending to the error queue makes a data key; only through SQS, on one key.
        Assert.Equal(["kms:Decrypt", "kms:GenerateDataKey"], key);
        var kms = policy["Statement"]!.AsArray().Single(s => Strings(s!["Action"]).Any(a => a.StartsWith("kms:", StringComparison.Ordinal)))!;
        Assert.StartsWith("sqs.", (string?)kms["Condition"]!["StringEquals"]!["kms:ViaService"], StringComparison.Ordinal);
        Assert.DoesNotContain(grants, g => g.Action.Contains('*', StringComparison.Ordinal) || g.Resource.Contains('*', StringComparison.Ordinal));
    }

    [Fact]
    public async Task Production_ConnectsToPostgresWithFullCertificateVerificationAgainstAMountedBundle()
    {
        var objects = await ObjectsAsync("production");
        var settings = SettingsOf(objects, "Deployment");
        var tls = (string)settings["DB_TLS"]!;
        Assert.Contains("SSL Mode=VerifyFull", tls, StringComparison.Ordinal);
        var root = tls.Split(';').Select(p => p.Split('=', 2)).Single(p => p[0] == "Root Certificate")[1];

        foreach (var workload in objects.Where(o => (string?)o["kind"] is "Deployment" or "Job" && (string?)o["metadata"]!["labels"]?["app.kubernetes.io/name"] == "loginconsumer"))
        {
            var pod = workload["spec"]!["template"]!["spec"]!;
            var container = pod["containers"]![0]!;
            var connection = container["env"]!.AsArray().Single(e => ((string)e!["name"]!).StartsWith("ConnectionStrings__", StringComparison.Ordinal))!;
            Assert.EndsWith(";$(DB_TLS)", (string?)connection["value"], StringComparison.Ordinal);
            Assert.DoesNotContain("SSL Mode=Prefer", (string?)connection["value"], StringComparison.Ordinal);
            var mount = container["volumeMounts"]!.AsArray().Single(m => root.StartsWith((string)m!["mountPath"]! + "/", StringComparison.Ordinal))!;
            var volume = pod["volumes"]!.AsArray().Single(v => (string?)v!["name"] == (string?)mount["name"])!;
            Assert.Equal("loginconsumer-db-ca", (string?)volume["configMap"]!["name"]);
        }

        var local = SettingsOf(await ObjectsAsync("local"), "Deployment");
        Assert.Equal("SSL Mode=Disable", (string?)local["DB_TLS"]);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Overlay_MigrateJob_RunsUnderItsOwnServiceAccountWithNoCloudRole(string overlay)
    {
        var objects = await ObjectsAsync(overlay);
        var job = objects.Single(o => (string?)o["kind"] == "Job");
        var deployment = objects.Single(o => (string?)o["kind"] == "Deployment" && (string?)o["metadata"]!["name"] == "loginconsumer");
        var jobAccount = (string)job["spec"]!["template"]!["spec"]!["serviceAccountName"]!;

        Assert.NotEqual((string?)deployment["spec"]!["template"]!["spec"]!["serviceAccountName"], jobAccount);

        // Kept once finished: a Job removed after a TTL would be created, and migrate run, again by every later apply.
        Assert.Null(job["spec"]!["ttlSecondsAfterFinished"]);
        var account = objects.Single(o => (string?)o["kind"] == "ServiceAccount" && (string?)o["metadata"]!["name"] == jobAccount);
        Assert.Null(account["metadata"]!["annotations"]?["eks.amazonaws.com/role-arn"]);
    }

    /// <summary>A password spliced into a connection string breaks it, or adds options, when it holds a ';' or '='.</summary>
    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Overlay_DatabasePasswords_ReachNpgsqlAsPgPasswordFromASecretNeverInAConnectionString(string overlay)
    {
        var objects = await ObjectsAsync(overlay);
        var containers = objects.Where(o => (string?)o["kind"] is "Deployment" or "Job")
            .SelectMany(w => w["spec"]!["template"]!["spec"]!["containers"]!.AsArray())
            .Where(c => (string?)c!["name"] is "consumer" or "migrate" or "operator")
            .ToList();
        Assert.Equal(3, containers.Count);
        foreach (var container in containers)
        {
            var env = container!["env"]!.AsArray();
            foreach (var connection in env.Where(e => ((string?)e!["name"])?.StartsWith("ConnectionStrings__", StringComparison.Ordinal) == true))
            {
                Assert.DoesNotContain("Password", (string?)connection!["value"] ?? string.Empty, StringComparison.OrdinalIgnoreCase);
            }

            var password = env.Single(e => (string?)e!["name"] == "PGPASSWORD")!;
            Assert.NotNull(password["valueFrom"]?["secretKeyRef"]);
        }
    }

    private static async Task<List<JsonNode>> ObjectsAsync(string overlay, string? deployRoot = null) =>
        [.. (await Tooling.ManifestsAsync("json", await Tooling.RenderAsync(overlay, deployRoot))).Select(o => o!)];

    /// <summary>The data of the ConfigMap the one workload of <paramref name="kind"/> takes its settings from (generated names carry a hash).</summary>
    private static JsonNode SettingsOf(List<JsonNode> objects, string kind)
    {
        var name = ConfigMapNameOf(objects.Single(o => (string?)o["kind"] == kind && (string?)o["metadata"]!["labels"]?["app.kubernetes.io/name"] == "loginconsumer" && !IsOperator(o)));
        return objects.Single(o => (string?)o["kind"] == "ConfigMap" && (string?)o["metadata"]!["name"] == name)["data"]!;
    }

    private static string ConfigMapNameOf(JsonNode workload) =>
        (string)workload["spec"]!["template"]!["spec"]!["containers"]![0]!["envFrom"]!.AsArray().Single(e => e!["configMapRef"] is not null)!["configMapRef"]!["name"]!;

    private static string NameOf(List<JsonNode> objects, string kind) =>
        (string)objects.Single(o => (string?)o["kind"] == kind && (string?)o["metadata"]!["labels"]?["app.kubernetes.io/name"] == "loginconsumer" && !IsOperator(o))["metadata"]!["name"]!;

    private static bool IsOperator(JsonNode workload) => (string?)workload["kind"] == "Deployment" && (string?)workload["metadata"]!["name"] == "loginconsumer-operator";

    private static string GitHubAnchor(string heading) =>
        new string([.. heading.Trim().ToLowerInvariant().Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_')]).Replace(' ', '-');

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static IEnumerable<string> Images(JsonNode o)
    {
        var pod = (string?)o["kind"] switch
        {
            "Deployment" or "Job" => o["spec"]?["template"]?["spec"],
            _ => null,
        };
        return pod?["containers"]?.AsArray().Select(c => (string)c!["image"]!) ?? [];
    }

    private static IEnumerable<string> Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(n => (string)n!) : node is null ? [] : [(string)node!];

    private static bool LooksLikeKey(string text)
    {
        var buffer = new byte[text.Length];
        return text.Length >= 40 && Convert.TryFromBase64String(text, buffer, out var length) && length >= 32;
    }

    [GeneratedRegex(@"(?m)^#{1,6} (.+)$")]
    private static partial Regex Headings();
}
