DROP TABLE passkey_ceremonies_used;
DROP TABLE passkeys;
