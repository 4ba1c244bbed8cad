import SensorModel

/// Provider tokens with a literal prefix of their own, beyond the ones in `tokens` and `cloud`.
///
/// One rule per prefix (the scan finds rules by their prefix's first two bytes; a family with
/// several prefixes gets several rules of one name). Every expression starts with its prefix
/// literally, has no nested quantifier, and takes the whole token: a body of variable length
/// is `{n,}`, and a body of fixed length is followed by a look-ahead that refuses a longer run
/// rather than leave its tail. Base64 bodies accept `\/`, the JSON escape of `/`.
extension Redactor {
    /// Provider tokens with a prefix of their own, from the public formats of the well-known secret scanners' rules, written for this engine.
    static let providerTokens: [RedactionRule] = [
        // AWS: key ids other than AKIA and ASIA (in `cloud`), and IAM unique ids. Ids are 20 or
        // 21 characters; a longer run of capitals is something else.
        RedactionRule(name: "aws-access-token", pattern: #"A3T[A-Z0-9]{17}(?![A-Za-z0-9])"#, prefix: "A3T"),
        RedactionRule(name: "aws-access-token", pattern: #"ABIA[A-Z0-9]{16}(?![A-Za-z0-9])"#, prefix: "ABIA"),
        RedactionRule(name: "aws-access-token", pattern: #"ACCA[A-Z0-9]{16}(?![A-Za-z0-9])"#, prefix: "ACCA"),
        RedactionRule(name: "aws-iam-unique-id", pattern: #"AGPA[A-Z0-9]{16,17}(?![A-Za-z0-9])"#, prefix: "AGPA"),
        RedactionRule(name: "aws-iam-unique-id", pattern: #"AIDA[A-Z0-9]{16,17}(?![A-Za-z0-9])"#, prefix: "AIDA"),
        RedactionRule(name: "aws-iam-unique-id", pattern: #"AIPA[A-Z0-9]{16,17}(?![A-Za-z0-9])"#, prefix: "AIPA"),
        RedactionRule(name: "aws-iam-unique-id", pattern: #"ANPA[A-Z0-9]{16,17}(?![A-Za-z0-9])"#, prefix: "ANPA"),
        RedactionRule(name: "aws-iam-unique-id", pattern: #"ANVA[A-Z0-9]{16,17}(?![A-Za-z0-9])"#, prefix: "ANVA"),
        RedactionRule(name: "aws-iam-unique-id", pattern: #"APKA[A-Z0-9]{16,17}(?![A-Za-z0-9])"#, prefix: "APKA"),
        RedactionRule(name: "aws-iam-unique-id", pattern: #"AROA[A-Z0-9]{16,17}(?![A-Za-z0-9])"#, prefix: "AROA"),
        RedactionRule(name: "aws-iam-unique-id", pattern: #"ASCA[A-Z0-9]{16,17}(?![A-Za-z0-9])"#, prefix: "ASCA"),
        RedactionRule(name: "aws-amazon-bedrock-api-key-long-lived", pattern: #"ABSK(?:[A-Za-z0-9+]|\\?/){109,}={0,2}"#,
                      prefix: "ABSK", maxLength: 2048),
        // The short-lived key is a presigned URL in base64: long.
        RedactionRule(name: "aws-amazon-bedrock-api-key-short-lived",
                      pattern: #"bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t(?:[A-Za-z0-9+=]|\\?/){20,}"#,
                      prefix: "bedrock-api-key-", maxLength: 8192),

        // Stripe: test and prod keys (live ones are in `tokens`), webhook signing secrets.
        RedactionRule(name: "stripe-access-token", pattern: "sk_test_[A-Za-z0-9]{20,}", prefix: "sk_test_"),
        RedactionRule(name: "stripe-access-token", pattern: "sk_prod_[A-Za-z0-9]{20,}", prefix: "sk_prod_"),
        RedactionRule(name: "stripe-access-token", pattern: "rk_test_[A-Za-z0-9]{20,}", prefix: "rk_test_"),
        RedactionRule(name: "stripe-access-token", pattern: "rk_prod_[A-Za-z0-9]{20,}", prefix: "rk_prod_"),
        RedactionRule(name: "stripe-webhook-secret", pattern: #"whsec_(?:[A-Za-z0-9+=]|\\?/){24,}"#, prefix: "whsec_"),

        // GitLab tokens other than glpat-, glrt-, gldt- (in `tokens`); a routable token ends in
        // `.01.` and a checksum.
        RedactionRule(name: "gitlab-cicd-job-token", pattern: #"glcbt-[0-9A-Za-z_-]{20,}(?:\.[0-9a-z]{2}\.?[0-9a-z]{7,})?"#,
                      prefix: "glcbt-"),
        RedactionRule(name: "gitlab-ptt", pattern: #"glptt-[0-9A-Za-z_-]{20,}(?:\.[0-9a-z]{2}\.?[0-9a-z]{7,})?"#, prefix: "glptt-"),
        RedactionRule(name: "gitlab-scim-token", pattern: #"glsoat-[0-9A-Za-z_-]{20,}(?:\.[0-9a-z]{2}\.?[0-9a-z]{7,})?"#,
                      prefix: "glsoat-"),
        RedactionRule(name: "gitlab-feature-flag-client-token",
                      pattern: #"glffct-[0-9A-Za-z_-]{20,}(?:\.[0-9a-z]{2}\.?[0-9a-z]{7,})?"#, prefix: "glffct-"),
        RedactionRule(name: "gitlab-oauth-app-secret", pattern: #"gloas-[0-9A-Za-z_-]{20,}(?:\.[0-9a-z]{2}\.?[0-9a-z]{7,})?"#,
                      prefix: "gloas-"),
        RedactionRule(name: "gitlab-feed-token", pattern: #"glft-[0-9A-Za-z_-]{20,}(?:\.[0-9a-z]{2}\.?[0-9a-z]{7,})?"#, prefix: "glft-"),
        RedactionRule(name: "gitlab-incoming-mail-token", pattern: #"glimt-[0-9A-Za-z_-]{20,}(?:\.[0-9a-z]{2}\.?[0-9a-z]{7,})?"#,
                      prefix: "glimt-"),
        RedactionRule(name: "gitlab-kubernetes-agent-token",
                      pattern: #"glagent-[0-9A-Za-z_-]{20,}(?:\.[0-9a-z]{2}\.?[0-9a-z]{7,})?"#, prefix: "glagent-"),
        RedactionRule(name: "gitlab-rrt", pattern: "GR1348941[0-9A-Za-z_-]{20,}", prefix: "GR1348941"),
        // A cookie: the name goes too (the replacement has no `=`, so nothing reads it as a cookie).
        RedactionRule(name: "gitlab-session-cookie", pattern: "_gitlab_session=[0-9a-z]{32,}", prefix: "_gitlab_session=",
                      wordBoundary: false),

        // Atlassian and Bitbucket.
        RedactionRule(name: "atlassian-api-token", pattern: "ATATT3[A-Za-z0-9_=-]{180,}", prefix: "ATATT3"),
        RedactionRule(name: "atlassian-admin-api-token", pattern: "ATCTT3[A-Za-z0-9_=-]{180,}", prefix: "ATCTT3"),
        RedactionRule(name: "bitbucket-app-password", pattern: "ATBB[A-Za-z0-9_=-]{24,}", prefix: "ATBB"),
        RedactionRule(name: "bitbucket-data-center-token", pattern: #"BBDC-(?:[A-Za-z0-9+@_-]|\\?/){40,}"#, prefix: "BBDC-"),

        // Cloudflare: origin CA keys, and the prefixed API tokens and global keys.
        RedactionRule(name: "cloudflare-origin-ca-key", pattern: #"v1\.0-[a-f0-9]{24}-[a-f0-9]{146,}"#, prefix: "v1.0-"),
        RedactionRule(name: "cloudflare-api-token", pattern: "cfut_[A-Za-z0-9]{48,}", prefix: "cfut_"),
        RedactionRule(name: "cloudflare-api-token", pattern: "cfat_[A-Za-z0-9]{48,}", prefix: "cfat_"),
        RedactionRule(name: "cloudflare-global-api-key", pattern: "cfk_[A-Za-z0-9]{48,}", prefix: "cfk_"),

        // DigitalOcean, Heroku, HashiCorp.
        RedactionRule(name: "digitalocean-pat", pattern: "dop_v1_[a-f0-9]{64,}", prefix: "dop_v1_"),
        RedactionRule(name: "digitalocean-access-token", pattern: "doo_v1_[a-f0-9]{64,}", prefix: "doo_v1_"),
        RedactionRule(name: "digitalocean-refresh-token", pattern: "dor_v1_[a-f0-9]{64,}", prefix: "dor_v1_"),
        RedactionRule(name: "heroku-api-key-v2", pattern: "HRKU-[0-9A-Za-z_-]{36,}", prefix: "HRKU-"),
        RedactionRule(name: "vault-service-token", pattern: #"hvs\.[A-Za-z0-9_-]{24,}"#, prefix: "hvs."),
        RedactionRule(name: "vault-batch-token", pattern: #"hvb\.[A-Za-z0-9_-]{24,}"#, prefix: "hvb."),
        RedactionRule(name: "vault-recovery-token", pattern: #"hvr\.[A-Za-z0-9_-]{24,}"#, prefix: "hvr."),
        // `<14-character id>.atlasv1.<secret>`: the id before the literal stays.
        RedactionRule(name: "hashicorp-tf-api-token", pattern: #"\.atlasv1\.[A-Za-z0-9_=-]{60,}"#, prefix: ".atlasv1."),

        // Databases and data platforms.
        RedactionRule(name: "databricks-api-token", pattern: "dapi[a-f0-9]{32,}(?:-[0-9]{1,3})?", prefix: "dapi"),
        RedactionRule(name: "planetscale-password", pattern: "pscale_pw_[A-Za-z0-9_=.-]{31,}[A-Za-z0-9_=-]", prefix: "pscale_pw_"),
        RedactionRule(name: "planetscale-api-token", pattern: "pscale_tkn_[A-Za-z0-9_=.-]{31,}[A-Za-z0-9_=-]",
                      prefix: "pscale_tkn_"),
        RedactionRule(name: "planetscale-oauth-token", pattern: "pscale_oauth_[A-Za-z0-9_=.-]{31,}[A-Za-z0-9_=-]",
                      prefix: "pscale_oauth_"),
        RedactionRule(name: "clickhouse-cloud-api-secret-key", pattern: "4b1d[A-Za-z0-9]{38}(?![A-Za-z0-9])", prefix: "4b1d"),
        RedactionRule(name: "supabase-access-token", pattern: "sbp_[a-z0-9]{40,}", prefix: "sbp_"),
        RedactionRule(name: "pinecone-api-key", pattern: "pcsk_[A-Za-z0-9]{5,6}_[A-Za-z0-9]{63,}", prefix: "pcsk_"),
        RedactionRule(name: "airtable-personnal-access-token", pattern: #"pat[A-Za-z0-9]{14}\.[a-f0-9]{64,}"#, prefix: "pat"),

        // AI and ML services.
        RedactionRule(name: "huggingface-organization-api-token", pattern: "api_org_[A-Za-z0-9]{34,}", prefix: "api_org_"),
        RedactionRule(name: "perplexity-api-key", pattern: "pplx-[A-Za-z0-9]{48,}", prefix: "pplx-"),
        RedactionRule(name: "groq-api-key", pattern: "gsk_[A-Za-z0-9]{52,}", prefix: "gsk_"),
        RedactionRule(name: "xai-api-key", pattern: "xai-[A-Za-z0-9_]{80,}", prefix: "xai-"),
        RedactionRule(name: "replicate-api-token", pattern: "r8_[A-Za-z0-9_-]{37,}", prefix: "r8_"),
        RedactionRule(name: "nvidia-api-key", pattern: "nvapi-[A-Za-z0-9_-]{64,}", prefix: "nvapi-"),
        RedactionRule(name: "langsmith-api-key", pattern: "lsv2_pt_[a-f0-9]{32}_[a-f0-9]{10,}", prefix: "lsv2_pt_"),
        RedactionRule(name: "langsmith-api-key", pattern: "lsv2_sk_[a-f0-9]{32}_[a-f0-9]{10,}", prefix: "lsv2_sk_"),

        // Google OAuth (API keys are in `tokens`).
        RedactionRule(name: "gcp-oauth-client-secret", pattern: "GOCSPX-[A-Za-z0-9_-]{28,}", prefix: "GOCSPX-"),
        RedactionRule(name: "google-oauth-access-token", pattern: #"ya29\.[A-Za-z0-9_.-]{29,}[A-Za-z0-9_-]"#, prefix: "ya29.",
                      maxLength: 4096),
        // `xxx8Q~` then 31 to 34 characters; the 4 before the literal stay. A trailing `.` is the
        // sentence's, not the secret's.
        RedactionRule(name: "azure-ad-client-secret", pattern: #"Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~-])(?!\.[A-Za-z0-9_~-])"#,
                      prefix: "Q~", wordBoundary: false),
        RedactionRule(name: "microsoft-teams-webhook",
                      pattern: #"\.webhook\.office\.com\\?/webhookb2\\?/(?:[A-Za-z0-9@_-]|\\?/){60,}"#,
                      prefix: ".webhook.office.com"),

        // Package registries and build services.
        RedactionRule(name: "artifactory-api-key", pattern: "AKCp[A-Za-z0-9]{69,}", prefix: "AKCp"),
        RedactionRule(name: "artifactory-reference-token", pattern: "cmVmdGtu[A-Za-z0-9]{56,}", prefix: "cmVmdGtu"),
        RedactionRule(name: "rubygems-api-token", pattern: "rubygems_[a-f0-9]{48,}", prefix: "rubygems_"),
        RedactionRule(name: "clojars-api-token", pattern: "CLOJARS_[A-Za-z0-9]{60,}", prefix: "CLOJARS_"),
        RedactionRule(name: "docker-hub-access-token", pattern: "dckr_pat_[A-Za-z0-9_-]{27,}", prefix: "dckr_pat_"),
        RedactionRule(name: "docker-hub-access-token", pattern: "dckr_oat_[A-Za-z0-9_-]{32,}", prefix: "dckr_oat_"),
        RedactionRule(name: "buildkite-api-token", pattern: "bkua_[a-z0-9]{40,}", prefix: "bkua_"),
        RedactionRule(name: "circleci-personal-api-token", pattern: "CCIPAT_[A-Za-z0-9]{22}_[A-Fa-f0-9]{40,}", prefix: "CCIPAT_"),
        RedactionRule(name: "readme-api-token", pattern: "rdme_[a-z0-9]{70,}", prefix: "rdme_"),
        RedactionRule(name: "octopus-deploy-api-key", pattern: "API-[A-Z0-9]{26,}", prefix: "API-"),
        RedactionRule(name: "harness-api-key", pattern: #"pat\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20,}"#, prefix: "pat."),
        RedactionRule(name: "harness-api-key", pattern: #"sat\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20,}"#, prefix: "sat."),
        RedactionRule(name: "sonar-api-token", pattern: "squ_[A-Za-z0-9]{40,}", prefix: "squ_"),
        RedactionRule(name: "sonar-api-token", pattern: "sqp_[A-Za-z0-9]{40,}", prefix: "sqp_"),
        RedactionRule(name: "sonar-api-token", pattern: "sqa_[A-Za-z0-9]{40,}", prefix: "sqa_"),
        RedactionRule(name: "sonar-api-token", pattern: "sqco_[A-Za-z0-9]{40,}", prefix: "sqco_"),
        RedactionRule(name: "sourcegraph-access-token", pattern: "sgp_(?:(?:[A-Fa-f0-9]{16}|local)_)?[A-Fa-f0-9]{40,}", prefix: "sgp_"),
        RedactionRule(name: "infracost-api-token", pattern: "ico-[A-Za-z0-9]{32,}", prefix: "ico-"),
        RedactionRule(name: "pulumi-api-token", pattern: "pul-[a-f0-9]{40,}", prefix: "pul-"),
        RedactionRule(name: "prefect-api-token", pattern: "pnu_[A-Za-z0-9]{36,}", prefix: "pnu_"),
        RedactionRule(name: "scalingo-api-token", pattern: "tk-us-[A-Za-z0-9_-]{48,}", prefix: "tk-us-"),
        RedactionRule(name: "openshift-user-token", pattern: "sha256~[A-Za-z0-9_-]{43,}", prefix: "sha256~"),
        RedactionRule(name: "defined-networking-api-token", pattern: "dnkey-[A-Za-z0-9_=-]{79,}", prefix: "dnkey-"),
        RedactionRule(name: "tailscale-key", pattern: "tskey-[a-z]{2,10}-[A-Za-z0-9_]{6,}-[A-Za-z0-9_]{16,}", prefix: "tskey-"),

        // Fly.io: macaroon tokens are long; `FlyV1 fm2_…,fm2_…` holds several.
        RedactionRule(name: "flyio-access-token", pattern: "fo1_[A-Za-z0-9_-]{43,}", prefix: "fo1_"),
        RedactionRule(name: "flyio-access-token", pattern: #"fm1a_(?:[A-Za-z0-9+]|\\?/){100,}={0,3}"#, prefix: "fm1a_", maxLength: 8192),
        RedactionRule(name: "flyio-access-token", pattern: #"fm1r_(?:[A-Za-z0-9+]|\\?/){100,}={0,3}"#, prefix: "fm1r_", maxLength: 8192),
        RedactionRule(name: "flyio-access-token", pattern: #"fm2_(?:[A-Za-z0-9+]|\\?/){100,}={0,3}"#, prefix: "fm2_", maxLength: 8192),

        // Monitoring.
        RedactionRule(name: "sentry-org-token",
                      pattern: #"sntrys_eyJ(?:[A-Za-z0-9+]|\\?/){30,}={0,2}_(?:[A-Za-z0-9+]|\\?/){43,}"#, prefix: "sntrys_eyJ"),
        RedactionRule(name: "sentry-user-token", pattern: "sntryu_[a-f0-9]{64,}", prefix: "sntryu_"),
        RedactionRule(name: "grafana-cloud-api-token", pattern: #"glc_(?:[A-Za-z0-9+]|\\?/){32,}={0,3}"#, prefix: "glc_"),
        RedactionRule(name: "grafana-service-account-token", pattern: "glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8,}", prefix: "glsa_"),
        // `{"k":"`: base64 without the dots of a JWT (the `jwt` rule's prefix is `eyJ`; the two
        // cannot both match).
        RedactionRule(name: "grafana-api-key", pattern: "eyJrIjoi[A-Za-z0-9]{70,}={0,3}", prefix: "eyJrIjoi"),
        RedactionRule(name: "new-relic-user-api-key", pattern: "NRAK-[A-Za-z0-9]{27,}", prefix: "NRAK-"),
        RedactionRule(name: "new-relic-user-api-key", pattern: "NRAA-[A-Za-z0-9]{27,}", prefix: "NRAA-"),
        RedactionRule(name: "new-relic-insert-key", pattern: "NRII-[A-Za-z0-9_-]{25,}", prefix: "NRII-"),
        RedactionRule(name: "new-relic-query-key", pattern: "NRIQ-[A-Za-z0-9_-]{25,}", prefix: "NRIQ-"),
        RedactionRule(name: "new-relic-browser-api-token", pattern: "NRJS-[a-f0-9]{19,}", prefix: "NRJS-"),
        RedactionRule(name: "dynatrace-api-token", pattern: #"dt0c[0-9]{2}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64,}"#, prefix: "dt0c"),
        RedactionRule(name: "dynatrace-api-token", pattern: #"dt0s[0-9]{2}\.[A-Za-z0-9]{8,}\.[A-Za-z0-9]{32,}"#, prefix: "dt0s"),
        RedactionRule(name: "posthog-personal-api-key", pattern: "phx_[A-Za-z0-9_]{43,}", prefix: "phx_"),

        // Secrets managers and identity.
        RedactionRule(name: "1password-service-account-token", pattern: #"ops_eyJ(?:[A-Za-z0-9+]|\\?/){250,}={0,3}"#,
                      prefix: "ops_eyJ", maxLength: 4096),
        RedactionRule(name: "1password-secret-key",
                      pattern: "A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}(?![A-Za-z0-9])",
                      prefix: "A3-"),
        // Service tokens may name their config: `dp.st.prd.…`.
        RedactionRule(name: "doppler-api-token", pattern: #"dp\.pt\.[A-Za-z0-9]{40,}"#, prefix: "dp.pt."),
        RedactionRule(name: "doppler-api-token", pattern: #"dp\.st\.(?:[a-z0-9_-]{2,35}\.)?[A-Za-z0-9]{40,}"#, prefix: "dp.st."),
        RedactionRule(name: "doppler-api-token", pattern: #"dp\.sa\.[A-Za-z0-9]{40,}"#, prefix: "dp.sa."),
        RedactionRule(name: "doppler-api-token", pattern: #"dp\.ct\.[A-Za-z0-9]{40,}"#, prefix: "dp.ct."),
        RedactionRule(name: "doppler-api-token", pattern: #"dp\.scim\.[A-Za-z0-9]{40,}"#, prefix: "dp.scim."),
        RedactionRule(name: "doppler-api-token", pattern: #"dp\.audit\.[A-Za-z0-9]{40,}"#, prefix: "dp.audit."),
        RedactionRule(name: "age-secret-key", pattern: "AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58,}", prefix: "AGE-SECRET-KEY-1"),
        RedactionRule(name: "authress-service-client-access-key",
                      pattern: #"sc_[A-Za-z0-9]{5,30}\.[A-Za-z0-9]{4,6}\.acc[_-][A-Za-z0-9-]{10,32}\.(?:[A-Za-z0-9+_=-]|\\?/){30,}"#,
                      prefix: "sc_"),
        RedactionRule(name: "authress-service-client-access-key",
                      pattern: #"ext_[A-Za-z0-9]{5,30}\.[A-Za-z0-9]{4,6}\.acc[_-][A-Za-z0-9-]{10,32}\.(?:[A-Za-z0-9+_=-]|\\?/){30,}"#,
                      prefix: "ext_"),
        RedactionRule(name: "authress-service-client-access-key",
                      pattern: #"scauth_[A-Za-z0-9]{5,30}\.[A-Za-z0-9]{4,6}\.acc[_-][A-Za-z0-9-]{10,32}\.(?:[A-Za-z0-9+_=-]|\\?/){30,}"#,
                      prefix: "scauth_"),
        RedactionRule(name: "authress-service-client-access-key",
                      pattern: #"authress_[A-Za-z0-9]{5,30}\.[A-Za-z0-9]{4,6}\.acc[_-][A-Za-z0-9-]{10,32}\.(?:[A-Za-z0-9+_=-]|\\?/){30,}"#,
                      prefix: "authress_"),
        RedactionRule(name: "adobe-client-secret", pattern: "p8e-[A-Za-z0-9]{32,}", prefix: "p8e-"),
        RedactionRule(name: "intra42-client-secret", pattern: "s-s4t2ud-[a-f0-9]{64,}", prefix: "s-s4t2ud-"),
        RedactionRule(name: "intra42-client-secret", pattern: "s-s4t2af-[a-f0-9]{64,}", prefix: "s-s4t2af-"),
        // JWTs written in base64 once more: `eyJhbGciOi`, `eyJ0eXAiOi`.
        RedactionRule(name: "jwt-base64", pattern: #"ZXlKaGJHY2lPaU(?:[A-Za-z0-9+=]|\\?/){40,}"#, prefix: "ZXlKaGJHY2lPaU",
                      maxLength: 16 * 1024),
        RedactionRule(name: "jwt-base64", pattern: #"ZXlKMGVYQWlPaU(?:[A-Za-z0-9+=]|\\?/){40,}"#, prefix: "ZXlKMGVYQWlPaU",
                      maxLength: 16 * 1024),

        // Productivity and collaboration.
        RedactionRule(name: "linear-api-key", pattern: "lin_api_[A-Za-z0-9]{40,}", prefix: "lin_api_"),
        RedactionRule(name: "linear-oauth-token", pattern: "lin_oauth_[A-Za-z0-9]{40,}", prefix: "lin_oauth_"),
        RedactionRule(name: "notion-api-token", pattern: "ntn_[0-9]{11}[A-Za-z0-9]{35,}", prefix: "ntn_"),
        RedactionRule(name: "notion-api-token", pattern: "secret_[A-Za-z0-9]{43}(?![A-Za-z0-9])", prefix: "secret_"),
        RedactionRule(name: "postman-api-token", pattern: "PMAK-[A-Fa-f0-9]{24}-[A-Fa-f0-9]{34,}", prefix: "PMAK-"),
        RedactionRule(name: "figma-personal-access-token", pattern: "figd_[A-Za-z0-9_-]{40,}", prefix: "figd_"),
        RedactionRule(name: "frameio-api-token", pattern: "fio-u-[A-Za-z0-9_=-]{64,}", prefix: "fio-u-"),
        RedactionRule(name: "typeform-api-token", pattern: "tfp_[A-Za-z0-9_.=-]{39,}[A-Za-z0-9_=-]", prefix: "tfp_"),
        RedactionRule(name: "contentful-personal-access-token", pattern: "CFPAT-[A-Za-z0-9_-]{43,}", prefix: "CFPAT-"),
        RedactionRule(name: "settlemint-personal-access-token", pattern: "sm_pat_[A-Za-z0-9]{16,}", prefix: "sm_pat_"),
        RedactionRule(name: "settlemint-application-access-token", pattern: "sm_aat_[A-Za-z0-9]{16,}", prefix: "sm_aat_"),
        RedactionRule(name: "settlemint-service-access-token", pattern: "sm_sat_[A-Za-z0-9]{16,}", prefix: "sm_sat_"),
        RedactionRule(name: "hubspot-private-app-token",
                      pattern: "pat-na1-[A-Za-z0-9]{8}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{12}(?![A-Za-z0-9])",
                      prefix: "pat-na1-"),
        RedactionRule(name: "hubspot-private-app-token",
                      pattern: "pat-eu1-[A-Za-z0-9]{8}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{12}(?![A-Za-z0-9])",
                      prefix: "pat-eu1-"),
        RedactionRule(name: "mapbox-secret-token", pattern: #"sk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}"#, prefix: "sk.eyJ"),
        RedactionRule(name: "mapbox-secret-token", pattern: #"tk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}"#, prefix: "tk.eyJ"),
        // Short-lived tokens; the newer `sl.u.` ones run past a thousand characters.
        RedactionRule(name: "dropbox-short-lived-api-token", pattern: #"sl\.[A-Za-z0-9_=.-]{129,}[A-Za-z0-9_=-]"#, prefix: "sl.",
                      maxLength: 4096),

        // Payments and commerce.
        RedactionRule(name: "shopify-access-token", pattern: "shpat_[a-fA-F0-9]{32,}", prefix: "shpat_"),
        RedactionRule(name: "shopify-shared-secret", pattern: "shpss_[a-fA-F0-9]{32,}", prefix: "shpss_"),
        RedactionRule(name: "shopify-custom-access-token", pattern: "shpca_[a-fA-F0-9]{32,}", prefix: "shpca_"),
        RedactionRule(name: "shopify-private-app-access-token", pattern: "shppa_[a-fA-F0-9]{32,}", prefix: "shppa_"),
        RedactionRule(name: "square-access-token", pattern: "EAAA[A-Za-z0-9_-]{22,}", prefix: "EAAA"),
        RedactionRule(name: "square-access-token", pattern: "sq0atp-[A-Za-z0-9_-]{22,}", prefix: "sq0atp-"),
        RedactionRule(name: "square-access-token", pattern: "sq0atb-[A-Za-z0-9_-]{22,}", prefix: "sq0atb-"),
        RedactionRule(name: "square-secret", pattern: "sq0csp-[A-Za-z0-9_-]{40,}", prefix: "sq0csp-"),
        RedactionRule(name: "square-secret", pattern: "sq0csb-[A-Za-z0-9_-]{40,}", prefix: "sq0csb-"),
        // Graph API tokens of every kind start `EAA` (Square's `EAAA` ones are shorter).
        RedactionRule(name: "facebook-access-token", pattern: "EAA[A-Za-z0-9]{100,}", prefix: "EAA"),
        RedactionRule(name: "shippo-api-token", pattern: "shippo_live_[a-fA-F0-9]{40,}", prefix: "shippo_live_"),
        RedactionRule(name: "shippo-api-token", pattern: "shippo_test_[a-fA-F0-9]{40,}", prefix: "shippo_test_"),
        RedactionRule(name: "easypost-api-token", pattern: "EZAK[A-Za-z0-9]{54,}", prefix: "EZAK"),
        RedactionRule(name: "easypost-test-api-token", pattern: "EZTK[A-Za-z0-9]{54,}", prefix: "EZTK"),
        RedactionRule(name: "flutterwave-secret-key", pattern: "FLWSECK(?:_TEST)?-?[A-Za-z0-9]{12,}(?:-X)?", prefix: "FLWSECK"),
        RedactionRule(name: "duffel-api-token", pattern: "duffel_test_[A-Za-z0-9_=-]{43,}", prefix: "duffel_test_"),
        RedactionRule(name: "duffel-api-token", pattern: "duffel_live_[A-Za-z0-9_=-]{43,}", prefix: "duffel_live_"),
        RedactionRule(name: "plaid-api-token",
                      pattern: "access-sandbox-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![A-Za-z0-9])",
                      prefix: "access-sandbox-"),
        RedactionRule(name: "plaid-api-token",
                      pattern: "access-development-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![A-Za-z0-9])",
                      prefix: "access-development-"),
        RedactionRule(name: "plaid-api-token",
                      pattern: "access-production-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![A-Za-z0-9])",
                      prefix: "access-production-"),
        // `live_` and `test_` begin many identifiers: Lob's are exactly 35 hex digits, and
        // GoCardless's 40 characters with a digit and a capital among them.
        RedactionRule(name: "lob-api-key", pattern: "live_[a-f0-9]{35}(?![A-Za-z0-9])", prefix: "live_"),
        RedactionRule(name: "lob-api-key", pattern: "test_[a-f0-9]{35}(?![A-Za-z0-9])", prefix: "test_"),
        RedactionRule(name: "gocardless-api-token",
                      pattern: "live_(?=[A-Za-z_=-]{0,39}[0-9])(?=[a-z0-9_=-]{0,39}[A-Z])[A-Za-z0-9_=-]{40,}", prefix: "live_"),

        // Email and messaging.
        RedactionRule(name: "sendinblue-api-token", pattern: "xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16,}", prefix: "xkeysib-"),
        RedactionRule(name: "sendinblue-api-token", pattern: "xsmtpsib-[a-f0-9]{64}-[A-Za-z0-9]{16,}", prefix: "xsmtpsib-"),

        // Cloud providers other than AWS and Azure.
        RedactionRule(name: "alibaba-access-key-id", pattern: "LTAI[A-Za-z0-9]{12,}", prefix: "LTAI"),
        RedactionRule(name: "yandex-api-key", pattern: "AQVN[A-Za-z0-9_-]{35,}", prefix: "AQVN"),
        RedactionRule(name: "yandex-access-token", pattern: #"t1\.[A-Za-z0-9_-]{1,}={0,2}\.[A-Za-z0-9_-]{86,}={0,2}"#, prefix: "t1."),
    ]
}
