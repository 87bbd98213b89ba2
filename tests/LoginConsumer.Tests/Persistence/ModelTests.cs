using LoginConsumer.Persistence;
using LoginConsumer.Persistence.CompiledModel;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;

namespace LoginConsumer.Tests.Persistence;

/// <summary>
/// The service runs on the generated model in Persistence/CompiledModel, not on one built from
/// UserLoginConfiguration at start-up. These fail when the two, or the configuration and the migrations, part.
/// </summary>
public sealed class ModelTests
{
    [Fact]
    public void Model_AtRunTime_IsTheCompiledModel()
    {
        using var context = NewContext();
        Assert.IsType<LoginDbContextModel>(context.Model);
    }

    [Fact]
    public void CompiledModel_ComparedWithTheConfiguration_HasTheSameTablesColumnsAndKeys()
    {
        using var context = NewContext();
        var fromConfiguration = Describe(context.GetService<IDesignTimeModel>().Model.GetRelationalModel());
        Assert.Contains("user_logins.message_id character varying(128) not null", fromConfiguration);
        Assert.Contains("user_logins key pk_user_logins (message_id)", fromConfiguration);
        Assert.Equal(
            fromConfiguration,
            Describe(context.Model.GetRelationalModel())); // when this fails: dotnet ef dbcontext optimize -p src/LoginConsumer -o Persistence/CompiledModel -n LoginConsumer.Persistence.CompiledModel
    }

    [Fact]
    public void Migrations_ComparedWithTheConfiguration_HaveNoPendingChanges()
    {
        using var context = NewContext();
        Assert.False(context.Database.HasPendingModelChanges(), "The configuration has changes no migration holds: add one.");
    }

    /// <summary>What the database sees of a model: each column's store type and nullability, each key and index.</summary>
    private static List<string> Describe(IRelationalModel model) =>
        model.Tables.SelectMany(table =>
                table.Columns.Select(c => $"{table.Name}.{c.Name} {c.StoreType}{(c.IsNullable ? "" : " not null")}")
                    .Concat(table.UniqueConstraints.Select(k => $"{table.Name} key {k.Name} ({string.Join(", ", k.Columns.Select(c => c.Name))})"))
                    .Concat(table.Indexes.Select(i => $"{table.Name} index {i.Name} ({string.Join(", ", i.Columns.Select(c => c.Name))})")))
            .Order(StringComparer.Ordinal)
            .ToList();

    private static LoginDbContext NewContext() =>
        new(new DbContextOptionsBuilder<LoginDbContext>().UseNpgsql("Host=localhost;Database=not_contacted").Options);
}
