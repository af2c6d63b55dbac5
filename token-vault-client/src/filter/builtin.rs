//! The built-in rules: the credential formats of the providers agents most
//! often touch, each with distinctive keywords that let it skip clean text:
//! token prefixes, exact-case prefixes where the folded one is common in
//! prose (`SK`, `ASIA`), and for short or common-word keywords (`pat`,
//! `key`, provider names) what must follow them in a match; a token prefix
//! counts only inside a run of value bytes as long as the token.

use super::Rule;
use super::rule::Assignment;

/// (id, regex, minimum entropy of the secret, keywords).
type Spec = (
    &'static str,
    &'static str,
    Option<f64>,
    &'static [&'static str],
);

const RULES: &[Spec] = &[
    (
        "jwt",
        r"\bey[A-Za-z0-9_-]{15,}\.ey[A-Za-z0-9_/\\-]{15,}\.[A-Za-z0-9_/\\-]*",
        None,
        &[".ey"],
    ),
    (
        "private-key",
        r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----",
        None,
        &["-----begin"],
    ),
    (
        "aws-access-key-id",
        r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b",
        None,
        &[],
    ),
    (
        "aws-secret-access-key",
        r#"(?i)aws.{0,20}?(?:secret|key).{0,20}?['"=:\s]+([A-Za-z0-9/+=]{40})\b"#,
        Some(3.5),
        &["aws"],
    ),
    ("gcp-api-key", r"\bAIza[0-9A-Za-z_-]{35}", None, &["aiza"]),
    (
        "google-oauth-access-token",
        r"\bya29\.[0-9A-Za-z_-]{20,}",
        None,
        &["ya29."],
    ),
    (
        "google-oauth-refresh-token",
        r"\b1//0[0-9A-Za-z_-]{30,}",
        None,
        &["1//0"],
    ),
    (
        "gcp-service-account",
        r#""private_key_id"\s*:\s*"[a-f0-9]{40}""#,
        None,
        &["private_key_id"],
    ),
    (
        "github-token",
        r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}\b",
        None,
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
    ),
    (
        "github-fine-grained-pat",
        r"\bgithub_pat_[A-Za-z0-9_]{60,255}\b",
        None,
        &["github_pat_"],
    ),
    (
        "gitlab-token",
        r"\bgl(?:pat|dt|ptt|rt|cbt|imt|agent|oas|ft|soat|ffct|cit)-[A-Za-z0-9_-]{20,}",
        None,
        &[
            "glpat-", "gldt-", "glptt-", "glrt-", "glcbt-", "glimt-", "glagent-", "gloas-",
            "glft-", "glsoat-", "glffct-", "glcit-",
        ],
    ),
    (
        "slack-token",
        r"(?i)\bxox[abposre]-[0-9A-Za-z-]{10,}",
        None,
        &["xox"],
    ),
    (
        "slack-app-token",
        r"(?i)\bxapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+",
        None,
        &["xapp-"],
    ),
    (
        "slack-webhook",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{40,}",
        None,
        &["hooks.slack.com"],
    ),
    (
        "stripe-key",
        r"\b(?:sk|rk)_(?:live|test|prod)_[0-9A-Za-z]{10,99}",
        None,
        &[
            "sk_live", "sk_test", "sk_prod", "rk_live", "rk_test", "rk_prod",
        ],
    ),
    (
        "openai-api-key",
        r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}",
        None,
        &["sk-proj-", "sk-svcacct-", "sk-admin-", "t3blbkfj"],
    ),
    (
        "anthropic-api-key",
        r"\bsk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{80,}",
        None,
        &["sk-ant-"],
    ),
    (
        "azure-ad-client-secret",
        r"(?:^|[^A-Za-z0-9_~.-])([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})",
        None,
        &["q~"],
    ),
    (
        "azure-storage-key",
        r"(?i)AccountKey=[A-Za-z0-9+/=]{86,88}",
        None,
        &["accountkey="],
    ),
    (
        "salesforce-access-token",
        r"\b00D[0-9A-Za-z]{12,15}![0-9A-Za-z._]{80,}",
        None,
        &[],
    ),
    (
        "shopify-token",
        r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b",
        None,
        &["shpat_", "shpca_", "shppa_", "shpss_"],
    ),
    ("twilio-api-key", r"\bSK[0-9a-fA-F]{32}\b", Some(3.0), &[]),
    (
        "sendgrid-api-key",
        r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b",
        None,
        &["sg."],
    ),
    ("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b", None, &["npm_"]),
    (
        "pypi-token",
        r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
        None,
        &["pypi-ageichlwas5vcmc"],
    ),
    (
        "digitalocean-token",
        r"(?i)\bdo[opr]_v1_[a-f0-9]{64}",
        None,
        &["dop_v1_", "doo_v1_", "dor_v1_"],
    ),
    (
        "hashicorp-vault-token",
        r"\bhv[sbr]\.[A-Za-z0-9_-]{24,}",
        None,
        &["hvs.", "hvb.", "hvr."],
    ),
    ("huggingface-token", r"\bhf_[A-Za-z]{34}\b", None, &["hf_"]),
    (
        "databricks-token",
        r"\bdapi[a-f0-9]{32}(?:-\d)?\b",
        None,
        &["dapi"],
    ),
    (
        "atlassian-api-token",
        r"(?i)\bATATT3[A-Za-z0-9_\-=]{186}",
        None,
        &["atatt3"],
    ),
    (
        "age-secret-key",
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        None,
        &["age-secret-key-1"],
    ),
    (
        "1password-service-account-token",
        r"\bops_eyJ[A-Za-z0-9+/]{250,}={0,3}",
        None,
        &["ops_eyj"],
    ),
    (
        "notion-token",
        r"\bntn_[0-9]{11}[A-Za-z0-9]{32,35}\b",
        None,
        &["ntn_"],
    ),
    (
        "postman-api-key",
        r"(?i)\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b",
        None,
        &["pmak-"],
    ),
    ("pulumi-token", r"(?i)\bpul-[a-f0-9]{40}\b", None, &["pul-"]),
    (
        "rubygems-token",
        r"(?i)\brubygems_[a-f0-9]{48}\b",
        None,
        &["rubygems_"],
    ),
    (
        "sentry-token",
        r"\bsntry[su]_[A-Za-z0-9+/=_]{64,}",
        None,
        &["sntrys_", "sntryu_"],
    ),
    (
        "heroku-api-key",
        r"\bHRKU-AA[0-9A-Za-z_-]{58}",
        None,
        &["hrku-aa"],
    ),
    (
        "perplexity-api-key",
        r"\bpplx-[A-Za-z0-9]{48}\b",
        None,
        &["pplx-"],
    ),
    (
        "artifactory-key",
        r"\bAKCp[A-Za-z0-9]{69}\b|\bcmVmd[A-Za-z0-9]{59}\b",
        None,
        &["akcp", "cmvmd"],
    ),
    (
        "teams-webhook",
        r"(?i)webhook\.office\.com/webhookb2/[a-z0-9@/-]{60,}",
        None,
        &["webhook.office.com"],
    ),
    (
        "shippo-token",
        r"(?i)\bshippo_(?:live|test)_[a-f0-9]{40}\b",
        None,
        &["shippo_"],
    ),
    (
        "sourcegraph-token",
        r"(?i)\bsgp_(?:[a-f0-9]{16}|local)_[a-f0-9]{40}\b|\bsgp_[a-f0-9]{40}\b",
        None,
        &["sgp_"],
    ),
    ("readme-api-key", r"\brdme_[a-z0-9]{70}\b", None, &["rdme_"]),
    ("prefect-token", r"\bpnu_[A-Za-z0-9]{36}\b", None, &["pnu_"]),
    (
        "infracost-token",
        r"\bico-[A-Za-z0-9]{32}\b",
        None,
        &["ico-"],
    ),
    (
        "harness-token",
        r"\b(?:pat|sat)\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}\b",
        None,
        &["pat.", "sat."],
    ),
    (
        "flyio-token",
        r"\bfo1_[A-Za-z0-9_-]{43}\b|\bfm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3}",
        None,
        &["fo1_", "fm1_", "fm1a_", "fm1r_", "fm2_", "fm2a_", "fm2r_"],
    ),
    (
        "bearer-header",
        r"(?i)\bbearer\s+([A-Za-z0-9\-._~+/]{20,}=*)",
        Some(3.0),
        &["bearer"],
    ),
    (
        "credentials-in-url",
        r"[a-z][a-z0-9+.-]{1,20}://[^/\s:@]{1,64}:([^/\s:@]{6,64})@[a-z0-9.-]+",
        Some(2.5),
        &["://"],
    ),
    (
        "assigned-secret",
        r#"(?i)(?:api[_-]?key|apikey|secret|token|passw(?:or)?d|pwd|access[_-]?key|client[_-]?secret|auth[_-]?key|credential)s?[\w.-]{0,20}?["']?\s{0,3}(?:=|:|=>|:=|\|\|)\s{0,3}[`"']?([A-Za-z0-9_\-+/=.~]{16,})"#,
        Some(3.5),
        &["key", "secret", "token", "passw", "pwd", "credential"],
    ),
    (
        "adobe-client-secret",
        r"(?i)\bp8e-[a-z0-9]{32}",
        None,
        &["p8e-"],
    ),
    (
        "airtable-personal-access-token",
        r"\bpat[A-Za-z0-9]{14}\.[a-f0-9]{64}\b",
        None,
        &[],
    ),
    (
        "alibaba-access-key-id",
        r"\bLTAI[A-Za-z0-9]{20}",
        None,
        &["ltai"],
    ),
    (
        "aws-bedrock-api-key",
        r"\bABSK[A-Za-z0-9+/]{109,269}={0,2}|bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t",
        None,
        &["absk", "bedrock-api-key-"],
    ),
    (
        "authress-service-client-key",
        r"(?i)\b(?:sc|ext|scauth|authress)_[a-z0-9]{5,30}\.[a-z0-9]{4,6}\.acc[_-][a-z0-9-]{10,32}\.[a-z0-9+/_=-]{30,120}",
        None,
        &[".acc_", ".acc-"],
    ),
    (
        "clojars-api-token",
        r"(?i)CLOJARS_[a-z0-9]{60}",
        None,
        &["clojars_"],
    ),
    (
        "cloudflare-origin-ca-key",
        r"\bv1\.0-[a-f0-9]{24}-[a-f0-9]{146}",
        None,
        &["v1.0-"],
    ),
    (
        "doppler-api-token",
        r"(?i)\bdp\.pt\.[a-z0-9]{43}",
        None,
        &["dp.pt."],
    ),
    (
        "dynatrace-api-token",
        r"(?i)\bdt0c01\.[a-z0-9]{24}\.[a-z0-9]{64}",
        None,
        &["dt0c01."],
    ),
    (
        "easypost-api-token",
        r"(?i)\bEZ[AT]K[a-z0-9]{54}",
        None,
        &["ezak", "eztk"],
    ),
    (
        "facebook-page-access-token",
        r"(?i)\bEAA[MC][a-z0-9]{100,}",
        None,
        &["eaam", "eaac"],
    ),
    (
        "flutterwave-key",
        r"(?i)FLW(?:SECK|PUBK)_TEST-[a-h0-9]{12,32}(?:-X)?|FLWSECK_TEST[a-h0-9]{12}",
        None,
        &["flwseck_test", "flwpubk_test"],
    ),
    (
        "frameio-api-token",
        r"(?i)\bfio-u-[a-z0-9\-_=]{64}",
        None,
        &["fio-u-"],
    ),
    (
        "gitlab-runner-registration-token",
        r"\bGR1348941[A-Za-z0-9_-]{20}",
        None,
        &["gr1348941"],
    ),
    (
        "grafana-token",
        r"(?i)\beyJrIjoi[A-Za-z0-9]{70,400}={0,3}|\bglc_[A-Za-z0-9+/]{32,400}={0,3}|\bglsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}",
        None,
        &["eyjrijoi", "glc_", "glsa_"],
    ),
    (
        "terraform-cloud-api-token",
        r"(?i)\b[a-z0-9]{14}\.atlasv1\.[a-z0-9\-_=]{60,70}",
        None,
        &["atlasv1"],
    ),
    (
        "huggingface-org-token",
        r"(?i)\bapi_org_[a-z]{34}",
        None,
        &["api_org_"],
    ),
    (
        "intra42-client-secret",
        r"(?i)\bs-s4t2(?:ud|af)-[a-f0-9]{64}",
        None,
        &["s-s4t2"],
    ),
    (
        "linear-api-key",
        r"(?i)\blin_api_[a-z0-9]{40}",
        None,
        &["lin_api_"],
    ),
];

/// Keywords matched with their exact case, for case-sensitive regexes whose
/// folded prefix is common in prose ("asked", "Asia", "path").
const EXACT: &[(&str, &[&str])] = &[
    (
        "aws-access-key-id",
        &["AKIA", "ASIA", "ABIA", "ACCA", "A3T"],
    ),
    ("twilio-api-key", &["SK"]),
    ("salesforce-access-token", &["00D"]),
    ("airtable-personal-access-token", &["pat"]),
];

/// What must follow a keyword for its rule to run there: the part of the
/// rule's own regex right after the keyword, cut short.
const CONTEXT: &[(&str, &str)] = &[
    ("airtable-personal-access-token", r"[A-Za-z0-9]{14}\."),
    ("harness-token", r"[A-Za-z0-9_-]{22}\."),
    ("sendgrid-api-key", r"[A-Za-z0-9_-]{22}\."),
    ("aws-secret-access-key", r"(?i).{0,20}?(?:secret|key)"),
    ("bearer-header", r"\s+[A-Za-z0-9\-._~+/]{20}"),
    ("credentials-in-url", r"[^/\s:@]{1,64}:[^/\s:@]{6,64}@"),
    ("infracost-token", r"[A-Za-z0-9]{32}"),
    ("databricks-token", r"[a-f0-9]{32}"),
    ("cloudflare-origin-ca-key", r"[a-f0-9]{24}-"),
    (
        "assigned-secret",
        r#"[\w.-]{0,24}?["']?\s{0,3}(?:=>|:=|\|\||=|:)\s{0,3}[\x60"']?[A-Za-z0-9_\-+/=.~]{16}"#,
    ),
];

/// The run (see [`Rule::keyword_run`]) that holds a keyword in every match
/// of the rule, at least: the keyword's part of the match and the fixed
/// lengths around it (`ghp_` and 36 characters: 40 bytes; a character
/// that a case-insensitive or Unicode class matches outside ASCII only
/// makes the run longer). Only rules whose shortest such run is long get
/// one (see `runs`).
const RUNS: &[(&str, usize)] = &[
    ("jwt", 20),
    ("aws-access-key-id", 20),
    ("gcp-api-key", 39),
    ("google-oauth-access-token", 25),
    ("google-oauth-refresh-token", 34),
    ("github-token", 40),
    ("github-fine-grained-pat", 71),
    ("gitlab-token", 25),
    ("slack-token", 15),
    ("slack-webhook", 65),
    ("stripe-key", 18),
    ("openai-api-key", 28),
    ("anthropic-api-key", 93),
    ("azure-ad-client-secret", 37),
    ("azure-storage-key", 97),
    ("salesforce-access-token", 15),
    ("shopify-token", 38),
    ("twilio-api-key", 34),
    ("sendgrid-api-key", 69),
    ("npm-token", 40),
    ("pypi-token", 69),
    ("digitalocean-token", 71),
    ("hashicorp-vault-token", 28),
    ("huggingface-token", 37),
    ("databricks-token", 36),
    ("atlassian-api-token", 192),
    ("age-secret-key", 74),
    ("1password-service-account-token", 257),
    ("notion-token", 47),
    ("postman-api-key", 64),
    ("pulumi-token", 44),
    ("rubygems-token", 57),
    ("sentry-token", 71),
    ("heroku-api-key", 65),
    ("perplexity-api-key", 53),
    ("artifactory-key", 64),
    ("teams-webhook", 29),
    ("shippo-token", 52),
    ("sourcegraph-token", 44),
    ("readme-api-key", 75),
    ("prefect-token", 40),
    ("infracost-token", 36),
    ("harness-token", 72),
    ("flyio-token", 47),
    ("adobe-client-secret", 36),
    ("airtable-personal-access-token", 82),
    ("alibaba-access-key-id", 24),
    ("aws-bedrock-api-key", 44),
    ("authress-service-client-key", 58),
    ("clojars-api-token", 68),
    ("cloudflare-origin-ca-key", 176),
    ("doppler-api-token", 49),
    ("dynatrace-api-token", 96),
    ("easypost-api-token", 58),
    ("facebook-page-access-token", 104),
    ("flutterwave-key", 24),
    ("frameio-api-token", 70),
    ("gitlab-runner-registration-token", 29),
    ("grafana-token", 36),
    ("terraform-cloud-api-token", 83),
    ("huggingface-org-token", 42),
    ("intra42-client-secret", 73),
    ("linear-api-key", 48),
];

/// What the assigned-secret context implies: at most 24 key characters, a
/// quote and 3 spaces before the operator, a 16-byte value.
const ASSIGNED_SECRET: Assignment = Assignment {
    key_chars: 28,
    min_value: 16,
};

/// What the provider-assignment context implies: at most 20 key characters
/// and 3 spaces or quotes before the operator, a 10-byte value.
const PROVIDER_ASSIGNMENT: Assignment = Assignment {
    key_chars: 23,
    min_value: 10,
};

/// Services whose name, as the key of an assignment (`stripe_key = ...`,
/// `"DatadogApiKey": "..."`), marks the assigned value as their credential.
const PROVIDERS: &[&str] = &[
    "adafruit",
    "adobe",
    "airtable",
    "algolia",
    "alibaba",
    "amplitude",
    "anthropic",
    "asana",
    "atlassian",
    "auth0",
    "azure",
    "beamer",
    "bitbucket",
    "bitly",
    "bittrex",
    "box",
    "braintree",
    "brevo",
    "calendly",
    "circleci",
    "clickup",
    "clojars",
    "cloudflare",
    "codecov",
    "cohere",
    "coinbase",
    "confluence",
    "confluent",
    "contentful",
    "coveralls",
    "databricks",
    "datadog",
    "deepl",
    "deepseek",
    "digitalocean",
    "discord",
    "docker",
    "doppler",
    "droneci",
    "dropbox",
    "duffel",
    "dynatrace",
    "easypost",
    "elastic",
    "etsy",
    "facebook",
    "fastly",
    "figma",
    "finicity",
    "finnhub",
    "firebase",
    "flickr",
    "flutterwave",
    "frameio",
    "freshbooks",
    "freshdesk",
    "gemini",
    "gitea",
    "github",
    "gitlab",
    "gitter",
    "gocardless",
    "grafana",
    "groq",
    "harness",
    "heroku",
    "hubspot",
    "huggingface",
    "instagram",
    "intercom",
    "jfrog",
    "jira",
    "klaviyo",
    "kraken",
    "kucoin",
    "launchdarkly",
    "linear",
    "linkedin",
    "linked_in",
    "linked-in",
    "lob",
    "looker",
    "mailchimp",
    "mailgun",
    "mailjet",
    "mapbox",
    "mattermost",
    "messagebird",
    "message_bird",
    "message-bird",
    "meraki",
    "microsoft",
    "mistral",
    "mixpanel",
    "mongodb",
    "monday",
    "netlify",
    "newrelic",
    "notion",
    "nytimes",
    "okta",
    "onesignal",
    "openai",
    "openrouter",
    "pagerduty",
    "paypal",
    "pinecone",
    "plaid",
    "planetscale",
    "postmark",
    "postman",
    "pusher",
    "quickbooks",
    "rapidapi",
    "razorpay",
    "replicate",
    "rollbar",
    "salesforce",
    "segment",
    "sendbird",
    "sendgrid",
    "sendinblue",
    "sentry",
    "shopify",
    "sidekiq",
    "slack",
    "snowflake",
    "snyk",
    "sonar",
    "splunk",
    "square",
    "squarespace",
    "stripe",
    "sumologic",
    "supabase",
    "telegram",
    "terraform",
    "travis",
    "trello",
    "twilio",
    "twitch",
    "twitter",
    "typeform",
    "vercel",
    "vonage",
    "weaviate",
    "webex",
    "xero",
    "yandex",
    "youtube",
    "zapier",
    "zendesk",
    "zoom",
];

/// The built-in rules, compiled.
pub(super) fn rules() -> Vec<Rule> {
    compiled(true)
}

/// The built-in rules, with or without their keyword runs.
fn compiled(with_runs: bool) -> Vec<Rule> {
    let mut rules: Vec<Rule> = RULES
        .iter()
        .filter_map(|(id, regex, entropy, keywords)| {
            let exact = EXACT
                .iter()
                .filter(|(rule, _)| rule == id)
                .flat_map(|(_, exact)| exact.iter());
            let rule = Rule::new(id, regex)
                .ok()?
                .entropy(entropy.unwrap_or(0.0))
                .keywords(*keywords)
                .exact_keywords(exact);
            let rule = match CONTEXT.iter().find(|(rule, _)| rule == id) {
                Some((_, context)) => rule.keyword_context(context).ok()?,
                None => rule,
            };
            let rule = match RUNS.iter().find(|(rule, _)| rule == id) {
                Some((_, min)) if with_runs => rule.keyword_run(*min),
                _ => rule,
            };
            Some(if *id == "assigned-secret" {
                rule.assignment(ASSIGNED_SECRET)
            } else {
                rule
            })
        })
        .collect();
    if let Some(rule) = provider_assignment() {
        rules.push(rule);
    }
    rules
}

/// A value assigned to a key that names a provider: the key may carry a
/// prefix and suffix (`PROD_STRIPE_API_KEY`), the operator is one of those of
/// config files, code and JSON, the value is a token of at least ten
/// characters with some randomness.
fn provider_assignment() -> Option<Rule> {
    let names = PROVIDERS
        .iter()
        .map(|name| regex::escape(name))
        .collect::<Vec<_>>()
        .join("|");
    let regex = format!(
        r#"(?i)[\w.-]{{0,50}}?(?:{names})(?:[ \t\w.-]{{0,20}})[\s'"]{{0,3}}(?:=|>|:{{1,3}}=|\|\||:|=>|\?=|,)[\x60'"\s=]{{0,5}}([A-Za-z0-9_\-+/=.~]{{10,}})"#
    );
    Rule::new("provider-assigned-secret", &regex)
        .ok()?
        .entropy(2.5)
        .keywords(PROVIDERS)
        .keyword_context(
            r#"[ \t\w.-]{0,20}[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}[A-Za-z0-9_\-+/=.~]{10}"#,
        )
        .ok()
        .map(|rule| rule.assignment(PROVIDER_ASSIGNMENT))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_built_in_rule_compiles_and_has_keywords() {
        let rules = rules();
        assert_eq!(rules.len(), RULES.len() + 1);
        assert!(
            rules
                .iter()
                .all(|r| !r.keyword_list().is_empty() || !r.exact_keyword_list().is_empty())
        );
    }

    #[test]
    fn every_exact_keyword_and_context_names_a_built_in_rule() {
        let ids: Vec<&str> = RULES.iter().map(|r| r.0).collect();
        assert!(EXACT.iter().all(|(id, _)| ids.contains(id)));
        assert!(CONTEXT.iter().all(|(id, _)| ids.contains(id)));
        assert!(RUNS.iter().all(|(id, _)| ids.contains(id)));
    }

    /// Findings of `rules` in `text`.
    fn scan(rules: &crate::filter::RuleSet, text: &str) -> Vec<crate::filter::Finding> {
        let mut out = Vec::new();
        rules.scan(text, &mut out);
        out
    }

    #[test]
    fn keyword_runs_lose_no_finding_of_strings_of_the_rules_own_regexes() {
        use crate::filter::RuleSet;
        use proptest::strategy::{Strategy as _, ValueTree as _};
        let (gated, open) = (RuleSet::of(compiled(true)), RuleSet::of(compiled(false)));
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        for (id, _) in RUNS {
            let (_, regex, _, _) = RULES.iter().find(|r| r.0 == *id).unwrap();
            // The generator knows no assertions: `\b` and `^` are dropped.
            let pattern = regex.replace(r"\b", "").replace("^|", "");
            let strings = proptest::string::string_regex(&pattern).unwrap();
            let mut found = 0;
            for _ in 0..32 {
                let s = strings.new_tree(&mut runner).unwrap().current();
                for text in [format!("x {s} y"), format!("{{\"k\": \"{s}\"}}")] {
                    let expected = scan(&open, &text);
                    found += usize::from(expected.iter().any(|f| &*f.rule == *id));
                    assert_eq!(scan(&gated, &text), expected, "{id} on {text:?}");
                }
            }
            assert!(found > 0, "{id}: no generated string was found");
        }
    }

    #[test]
    fn keyword_runs_lose_no_finding_of_the_gitleaks_samples() {
        use crate::filter::RuleSet;
        let Some(file) = conformance::read("secret-rules", "gitleaks.toml") else {
            return;
        };
        let samples = conformance::secret_samples::derive(&file).unwrap();
        let (gated, open) = (RuleSet::of(compiled(true)), RuleSet::of(compiled(false)));
        for sample in samples.positives.iter().chain(&samples.negatives) {
            let text = format!("Meeting notes: {sample}; next week.");
            assert_eq!(scan(&gated, &text), scan(&open, &text), "{text:?}");
        }
    }

    #[test]
    fn common_prose_opens_no_window_of_a_built_in_rule() {
        use crate::filter::RuleSet;
        let prose = "Globex asked for a revised proposal; they will pay the \
            key account next week. The patient path in Asia: a pattern, \
            a token of thanks, and the secret of the box. The linear \
            segment was square on Monday, said Okta's Jira notes.\n\
            {\"company\": \"Globex\", \"stage\": \"negotiation\", \"value\": 1000}";
        assert_eq!(RuleSet::builtin().windows_in(prose), 0);
    }
}
