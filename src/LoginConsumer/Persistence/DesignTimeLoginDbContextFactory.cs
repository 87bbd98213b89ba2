using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace LoginConsumer.Persistence;

/// <summary>Lets `dotnet ef migrations add` build the model without starting the service; no database is contacted.</summary>
public sealed class DesignTimeLoginDbContextFactory : IDesignTimeDbContextFactory<LoginDbContext>
{
    public LoginDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<LoginDbContext>().UseNpgsql("Host=localhost;Database=design_time_only").Options);
}
