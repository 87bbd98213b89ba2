using Microsoft.EntityFrameworkCore;

namespace LoginConsumer.Persistence;

public sealed class LoginDbContext(DbContextOptions<LoginDbContext> options) : DbContext(options)
{
    public DbSet<UserLogin> UserLogins => Set<UserLogin>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfiguration(new UserLoginConfiguration());
}
