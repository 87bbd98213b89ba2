-- The analysts' table exactly as it was first created (stands in for their pre-built database image).
-- LoginConsumer's `migrate` adds what it needs (message_id as the key, app_version_text) without touching rows.
CREATE TABLE user_logins (
    user_id varchar(128),
    device_type varchar(32),
    masked_ip varchar(256),
    masked_device_id varchar(256),
    locale varchar(32),
    app_version integer,
    create_date date
);
