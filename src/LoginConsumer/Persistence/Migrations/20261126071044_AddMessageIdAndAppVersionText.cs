using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LoginConsumer.Persistence.Migrations
{
    public partial class AddMessageIdAndAppVersionText : Migration
    {
        /// <summary>
        /// message_id (the SQS MessageId) becomes the primary key: the key EF needs and the idempotency key
        /// for ON CONFLICT DO NOTHING. Rows written before this service get a synthetic 'legacy:' id so the
        /// column can be NOT NULL. app_version_text keeps the producer's original version string.
        /// </summary>
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "message_id",
                table: "user_logins",
                type: "character varying(128)",
                maxLength: 128,
                nullable: true);

            migrationBuilder.Sql("UPDATE user_logins SET message_id = 'legacy:' || gen_random_uuid() WHERE message_id IS NULL;");

            migrationBuilder.AlterColumn<string>(
                name: "message_id",
                table: "user_logins",
                type: "character varying(128)",
                maxLength: 128,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(128)",
                oldMaxLength: 128,
                oldNullable: true);

            migrationBuilder.AddColumn<string>(
                name: "app_version_text",
                table: "user_logins",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddPrimaryKey(
                name: "pk_user_logins",
                table: "user_logins",
                column: "message_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "pk_user_logins",
                table: "user_logins");

            migrationBuilder.DropColumn(
                name: "message_id",
                table: "user_logins");

            migrationBuilder.DropColumn(
                name: "app_version_text",
                table: "user_logins");
        }
    }
}
