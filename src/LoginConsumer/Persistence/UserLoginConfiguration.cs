using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LoginConsumer.Persistence;

/// <summary>Maps onto the analysts' existing user_logins table; message_id and app_version_text come from our own migration.</summary>
public sealed class UserLoginConfiguration : IEntityTypeConfiguration<UserLogin>
{
    public const string TableName = "user_logins";

    public void Configure(EntityTypeBuilder<UserLogin> builder)
    {
        builder.ToTable(TableName);
        builder.HasKey(x => x.MessageId).HasName("pk_user_logins");
        builder.Property(x => x.MessageId).HasColumnName("message_id").HasMaxLength(UserLoginColumns.MessageId);
        builder.Property(x => x.UserId).HasColumnName("user_id").HasMaxLength(UserLoginColumns.UserId);
        builder.Property(x => x.DeviceType).HasColumnName("device_type").HasMaxLength(UserLoginColumns.DeviceType);
        builder.Property(x => x.MaskedIp).HasColumnName("masked_ip").HasMaxLength(UserLoginColumns.MaskedIp);
        builder.Property(x => x.MaskedDeviceId).HasColumnName("masked_device_id").HasMaxLength(UserLoginColumns.MaskedDeviceId);
        builder.Property(x => x.Locale).HasColumnName("locale").HasMaxLength(UserLoginColumns.Locale);
        builder.Property(x => x.AppVersion).HasColumnName("app_version");
        builder.Property(x => x.AppVersionText).HasColumnName("app_version_text").HasMaxLength(UserLoginColumns.AppVersionText);
        builder.Property(x => x.CreateDate).HasColumnName("create_date");
    }
}
