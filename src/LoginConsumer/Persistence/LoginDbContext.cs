using System.Diagnostics.CodeAnalysis;
using Microsoft.EntityFrameworkCore;

namespace LoginConsumer.Persistence;

// EF Core warns that it is not fully trim- or AOT-safe. The native build uses the compiled model (CompiledModel/),
// writes and reads with plain SQL (LoginBatchWriter, SqlReads) rather than LINQ, and keeps this assembly whole.
[UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "See above; ContainerTests runs every command from the published executable.")]
[UnconditionalSuppressMessage("AOT", "IL3050", Justification = "See above; ContainerTests runs every command from the published executable.")]
public sealed class LoginDbContext(DbContextOptions<LoginDbContext> options) : DbContext(options)
{
    public DbSet<UserLogin> UserLogins => Set<UserLogin>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfiguration(new UserLoginConfiguration());
}
