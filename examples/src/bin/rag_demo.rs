//! `rag-demo`: permission-aware retrieval over a small in-process vector index.
//!
//! Alice (finance) and Bob (sales) ask the same question about Q3 results. The index
//! returns report sections ranked by similarity; only the sections each user may view,
//! through the authorization model, become the answer's sources. Sections are objects of
//! their own (`section:q3-finance/1`) whose access comes from their parent document, and
//! a section can be redacted for a user. Both filters are shown: the post-filter checks
//! ranked candidates in batches and fetches more when too few remain; the pre-filter asks
//! for the authorized id set first and searches within it.

use std::collections::BTreeSet;

use fga_core::rag::{FilterRequest, post_filter, pre_filter};
use fga_core::{EmbeddedBackend, Engine, Error, FgaBackend, TupleKey};

/// The authorization model: division members view their division's documents, and a
/// section inherits its document's viewers unless redacted for the user.
pub const MODEL: &str = "model
  schema 1.1

type user

type division
  relations
    define member: [user]

type document
  relations
    define division: [division]
    define viewer: [user, user:*] or member from division

type section
  relations
    define parent: [document]
    define redacted_for: [user]
    define viewer: viewer from parent but not redacted_for
";

/// The corpus: (document, division or `*` for everyone, its sections' text).
const CORPUS: &[(&str, &str, &[&str])] = &[
    (
        "q3-finance",
        "finance",
        &[
            "Q3 results: revenue grew 12 percent to 48 million, margin 31 percent.",
            "Q3 results by region: EMEA revenue up 9 percent, APAC up 21 percent.",
            "Q3 payroll results and individual salary bands.",
        ],
    ),
    (
        "q3-sales",
        "sales",
        &[
            "Q3 results for sales: 212 deals closed, pipeline up 18 percent.",
            "Q3 results by rep: top closers and quota attainment.",
        ],
    ),
    (
        "q2-finance",
        "finance",
        &["Q2 results: revenue 43 million, margin 29 percent."],
    ),
    (
        "handbook",
        "*",
        &[
            "How results are reported: quarterly results go out two weeks after close.",
            "Travel policy and expense limits.",
        ],
    ),
];

/// Number of dimensions of the hashed bag-of-words embedding.
const DIMS: usize = 256;

/// A deterministic embedding: each lower-cased word is hashed (FNV-1a) into one of
/// [`DIMS`] buckets; the counts are L2-normalized, so a dot product is a cosine.
pub fn embed(text: &str) -> Vec<f32> {
    let mut v = vec![0.0f32; DIMS];
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in word.to_lowercase().bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let bucket = usize::try_from(h % DIMS as u64).unwrap_or(0);
        if let Some(x) = v.get_mut(bucket) {
            *x += 1.0;
        }
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// An in-process vector index: object ids and their embeddings.
#[derive(Debug, Default)]
pub struct VectorIndex {
    entries: Vec<(String, Vec<f32>)>,
}

impl VectorIndex {
    /// Adds an object with its text.
    pub fn add(&mut self, id: String, text: &str) {
        self.entries.push((id, embed(text)));
    }

    /// Every object id, most similar to the query first (ties by id).
    pub fn rank(&self, query: &str) -> Vec<String> {
        let q = embed(query);
        let mut scored: Vec<(f32, &str)> = self
            .entries
            .iter()
            .map(|(id, v)| (v.iter().zip(&q).map(|(a, b)| a * b).sum(), id.as_str()))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored.into_iter().map(|(_, id)| id.to_owned()).collect()
    }
}

/// The demo world: the backend with the model and tuples, and the index of sections.
pub async fn setup() -> Result<(EmbeddedBackend, VectorIndex), Error> {
    let backend = EmbeddedBackend::new(Engine::from_dsl(MODEL)?);
    let mut tuples = vec![
        TupleKey::new("division:finance", "member", "user:alice"),
        TupleKey::new("division:sales", "member", "user:bob"),
        // Payroll detail stays out of Alice's answers although the report is hers.
        TupleKey::new("section:q3-finance/3", "redacted_for", "user:alice"),
    ];
    let mut index = VectorIndex::default();
    for (doc, division, sections) in CORPUS {
        let document = format!("document:{doc}");
        tuples.push(match *division {
            "*" => TupleKey::new(&document, "viewer", "user:*"),
            d => TupleKey::new(&document, "division", format!("division:{d}")),
        });
        for (n, text) in (1..).zip(sections.iter()) {
            let section = format!("section:{doc}/{n}");
            tuples.push(TupleKey::new(&section, "parent", &document));
            index.add(section, text);
        }
    }
    backend.write(tuples, Vec::new()).await?;
    Ok((backend, index))
}

/// The sources of one user's answer, found both ways.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sources {
    /// Post-filter: ranked candidates checked in batches, refetching until `top_k`.
    pub post_filtered: Vec<String>,
    /// Pre-filter: the search restricted to the authorized id set.
    pub pre_filtered: Vec<String>,
}

/// The top-`k` sections the user may view for the question.
pub async fn answer_sources(
    backend: &dyn FgaBackend,
    index: &VectorIndex,
    user: &str,
    question: &str,
    top_k: usize,
) -> Result<Sources, Error> {
    let request = FilterRequest {
        user: user.to_owned(),
        relation: "viewer".to_owned(),
        ..FilterRequest::default()
    };
    let mut ranked = index.rank(question);
    let post = post_filter(backend, &request, &mut ranked, top_k, usize::MAX).await?;
    let allowed: BTreeSet<String> = pre_filter(backend, &request, "section").await?;
    let pre = index
        .rank(question)
        .into_iter()
        .filter(|id| allowed.contains(id))
        .take(top_k)
        .collect();
    Ok(Sources {
        post_filtered: post.allowed,
        pre_filtered: pre,
    })
}

/// The question both users ask.
pub const QUESTION: &str = "What were our Q3 results?";

#[allow(dead_code)]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let (backend, index) = setup().await?;
    println!("question: {QUESTION}");
    let unfiltered: Vec<String> = index.rank(QUESTION).into_iter().take(3).collect();
    println!("unfiltered top 3: {}", unfiltered.join(", "));
    for user in ["user:alice", "user:bob"] {
        let sources = answer_sources(&backend, &index, user, QUESTION, 3).await?;
        println!("{user} post-filter: {}", sources.post_filtered.join(", "));
        println!("{user} pre-filter:  {}", sources.pre_filtered.join(", "));
    }
    Ok(())
}
