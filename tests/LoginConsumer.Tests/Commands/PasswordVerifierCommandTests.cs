using LoginConsumer.Commands;

namespace LoginConsumer.Tests.Commands;

public sealed class PasswordVerifierCommandTests
{
    [Fact]
    public void Verifier_KnownPasswordAndSalt_MatchesAnIndependentScramComputation() =>
        // Computed with Python's hashlib (PBKDF2-HMAC-SHA256, HMAC "Client Key"/"Server Key", SHA-256), as RFC 7677 and PostgreSQL define it.
        Assert.Equal(
            "SCRAM-SHA-256$4096:AAECAwQFBgcICQoLDA0ODw==$A01sMetuMxB6kR1kjyXn4o6qVI1/YxmI15pOZrX+M+w=:UNi+3CYOCZCQbB/hr6mcfC+e/NGZ+6joic+1AXwPeLM=",
            PasswordVerifierCommand.Verifier("r-secret", [.. Enumerable.Range(0, 16).Select(i => (byte)i)], 4096));
}
