// Diesel table definitions, kept in step with migrations/{sqlite,postgres}.
// Both backends use the same names and column types; instants are BIGINT
// seconds since the Unix epoch.

diesel::table! {
    companies (id) {
        id -> Text,
        name -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    apps (id) {
        id -> Text,
        company_id -> Text,
        name -> Text,
        description -> Text,
        status -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    licenses (id) {
        id -> Text,
        app_id -> Text,
        internal_id -> Text,
        name -> Text,
        description -> Text,
        rank -> Integer,
        status -> Text,
        test_mode -> Bool,
        interval_length -> Integer,
        interval_unit -> Text,
        trial_duration_days -> Integer,
        trial_reset_days -> Integer,
        price_tier -> Nullable<Integer>,
        created_at -> BigInt,
    }
}

diesel::table! {
    license_countries (license_id, country_code) {
        license_id -> Text,
        country_code -> Text,
    }
}

diesel::table! {
    clients (id) {
        id -> Text,
        app_id -> Text,
        name -> Text,
        platform -> Text,
        secret_hash -> Nullable<Text>,
        pkce_required -> Bool,
        first_party -> Bool,
        test_mode -> Bool,
        refresh_token_ttl_seconds -> BigInt,
        rotate_refresh_tokens -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    client_redirect_uris (client_id, uri) {
        client_id -> Text,
        uri -> Text,
    }
}

diesel::table! {
    client_logout_uris (client_id, uri) {
        client_id -> Text,
        uri -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        name -> Text,
        country_code -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    plans (id) {
        id -> Text,
        user_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    plan_items (id) {
        id -> Text,
        plan_id -> Text,
        license_id -> Text,
        license_type -> Text,
        status -> Text,
        renew_status -> Text,
        renews_on -> BigInt,
        interval_length -> Integer,
        interval_unit -> Text,
        billing_cycle_anchor -> BigInt,
        date_added -> BigInt,
        trial -> Bool,
        trial_duration_days -> Integer,
        trial_reset_days -> Integer,
        cancelled_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    signing_keys (id) {
        id -> Text,
        algorithm -> Text,
        private_key -> Binary,
        public_key -> Binary,
        created_at -> BigInt,
        retired_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    authorization_codes (id) {
        id -> Text,
        code_hash -> Text,
        client_id -> Text,
        user_id -> Text,
        redirect_uri -> Text,
        code_challenge -> Nullable<Text>,
        scope -> Text,
        nonce -> Nullable<Text>,
        auth_time -> BigInt,
        created_at -> BigInt,
        expires_at -> BigInt,
        consumed_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        token_hash -> Text,
        grant_id -> Text,
        client_id -> Text,
        user_id -> Text,
        scope -> Text,
        auth_time -> BigInt,
        created_at -> BigInt,
        expires_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(apps -> companies (company_id));
diesel::joinable!(licenses -> apps (app_id));
diesel::joinable!(license_countries -> licenses (license_id));
diesel::joinable!(clients -> apps (app_id));
diesel::joinable!(client_redirect_uris -> clients (client_id));
diesel::joinable!(client_logout_uris -> clients (client_id));
diesel::joinable!(plans -> users (user_id));
diesel::joinable!(plan_items -> plans (plan_id));
diesel::joinable!(plan_items -> licenses (license_id));
diesel::joinable!(authorization_codes -> clients (client_id));
diesel::joinable!(refresh_tokens -> authorization_codes (grant_id));
diesel::joinable!(refresh_tokens -> clients (client_id));
diesel::joinable!(refresh_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    companies,
    apps,
    licenses,
    license_countries,
    clients,
    client_redirect_uris,
    client_logout_uris,
    users,
    plans,
    plan_items,
    signing_keys,
    authorization_codes,
    refresh_tokens,
);
