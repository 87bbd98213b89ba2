using System.Globalization;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests.Deploy;

/// <summary>deploy/: every overlay renders, every object validates against its schema, and the production invariants hold.</summary>
public sealed class KubernetesManifestTests(ITestOutputHelper output)
{
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
        foreach (var kind in new[] { "Deployment", "ServiceAccount", "ConfigMap", "Job", "PodDisruptionBudget", "PodMonitor" })
        {
            Assert.Contains(kind, kinds);
        }

        if (overlay == "production")
        {
            Assert.Contains("ScaledObject", kinds);
            Assert.Contains("TriggerAuthentication", kinds);
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Overlay_ConsumerAndMigrationPods_RunRestrictedWithProbesLimitsAndPinnedImages(string overlay)
    {
        var objects = await ObjectsAsync(overlay);
        var ours = objects.Where(o => (string?)o["metadata"]?["labels"]?["app.kubernetes.io/name"] == "loginconsumer").ToList();
        var workloads = ours.Where(o => (string?)o["kind"] is "Deployment" or "Job").ToList();
        Assert.Equal(2, workloads.Count);

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

        var consumer = workloads.Single(w => (string?)w["kind"] == "Deployment")["spec"]!["template"]!["spec"]!["containers"]![0]!;
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

        var settings = objects.Single(o => (string?)o["kind"] == "ConfigMap" && (string?)o["metadata"]!["name"] == "loginconsumer")["data"]!;
        var longPoll = int.Parse((string)settings["Sqs__WaitTimeSeconds"]!, CultureInfo.InvariantCulture);
        var batch = TimeSpan.Parse((string)settings["BatchWriter__CommandTimeout"]!, CultureInfo.InvariantCulture).TotalSeconds;
        var shutdown = TimeSpan.Parse((string)settings["HostOptions__ShutdownTimeout"]!, CultureInfo.InvariantCulture).TotalSeconds;
        var grace = (int)objects.Single(o => (string?)o["kind"] == "Deployment" && (string?)o["metadata"]!["name"] == "loginconsumer")["spec"]!["template"]!["spec"]!["terminationGracePeriodSeconds"]!;
        output.WriteLine($"grace {grace} s > long poll {longPoll} + batch {batch} + host shutdown {shutdown} = {longPoll + batch + shutdown} s");
        Assert.True(grace > longPoll + batch + shutdown);
    }

    [Fact]
    public async Task Production_AutoscalesOnTheQueueWithPodIdentityAndTheServiceAccountCarriesTheRole()
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

        var pdb = objects.Single(o => (string?)o["kind"] == "PodDisruptionBudget")["spec"]!;
        Assert.Equal(1, (int?)pdb["maxUnavailable"]);
    }

    [Fact]
    public void IamPolicy_GrantsTheConsumerOnlyWhatItCalls()
    {
        var policy = JsonNode.Parse(File.ReadAllText(Path.Combine(Infrastructure.RepoPaths.Root, "deploy", "iam", "consumer-policy.json")))!;
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
        var settings = objects.Single(o => (string?)o["kind"] == "ConfigMap" && (string?)o["metadata"]!["name"] == "loginconsumer")["data"]!;
        var tls = (string)settings["DB_TLS"]!;
        Assert.Contains("SSL Mode=VerifyFull", tls, StringComparison.Ordinal);
        var root = tls.Split(';').Select(p => p.Split('=', 2)).Single(p => p[0] == "Root Certificate")[1];

        foreach (var workload in objects.Where(o => (string?)o["kind"] is "Deployment" or "Job"))
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

        var local = (await ObjectsAsync("local")).Single(o => (string?)o["kind"] == "ConfigMap" && (string?)o["metadata"]!["name"] == "loginconsumer")["data"]!;
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
        var account = objects.Single(o => (string?)o["kind"] == "ServiceAccount" && (string?)o["metadata"]!["name"] == jobAccount);
        Assert.Null(account["metadata"]!["annotations"]?["eks.amazonaws.com/role-arn"]);
    }

    private static async Task<List<JsonNode>> ObjectsAsync(string overlay) =>
        [.. (await Tooling.ManifestsAsync("json", await Tooling.RenderAsync(overlay))).Select(o => o!)];

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
}
