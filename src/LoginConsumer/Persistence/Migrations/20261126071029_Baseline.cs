using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LoginConsumer.Persistence.Migrations
{
    public partial class Baseline : Migration
    {
        /// <summary>
        /// Exactly the analysts' original DDL, so this applies both to an empty database and, as a no-op,
        /// to one where the table already exists with rows.
        /// </summary>
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                "CREATE TABLE IF NOT EXISTS user_logins (user_id varchar(128), device_type varchar(32), masked_ip varchar(256), masked_device_id varchar(256), locale varchar(32), app_version integer, create_date date);");
        }

        /// <summary>Deliberately empty: the table predates this service and holds the analysts' data; rolling back never drops it.</summary>
        protected override void Down(MigrationBuilder migrationBuilder)
        {
        }
    }
}
