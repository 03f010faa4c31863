//! Listing a clinic's documents: the access policy's visibility clause, filters, a sort and
//! keyset paging, as one statement built per dialect. SQLite folds the page into one JSON
//! array so one row crosses the driver's thread; PostgreSQL returns plain rows.

use super::documents::{select_columns, DocumentRow, DOCUMENT_COLUMNS, FROM};
use super::sql::{Bind, Params};
use super::{Db, Dialect};
use clinicdocs_core::api::{SortKey, SortOrder};
use clinicdocs_core::Category;
use uuid::Uuid;

/// Filters for listing; `visible_all`/`visible_own` come from the access policy.
#[derive(Debug, Clone)]
pub struct ListFilter {
    pub org: Uuid,
    pub user: Uuid,
    pub visible_all: Vec<Category>,
    pub visible_own: Vec<Category>,
    pub patient: Option<Uuid>,
    pub category: Option<Category>,
    pub visit: Option<Uuid>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub sort: SortKey,
    pub order: SortOrder,
    pub limit: i64,
    pub after: Option<Cursor>,
}

/// Keyset position: the sort value and id of the last row of the previous page.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cursor {
    pub v: CursorValue,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum CursorValue {
    Int(i64),
    Text(String),
}

fn in_list(cats: &[Category]) -> String {
    cats.iter().map(|c| format!("'{}'", c.as_str())).collect::<Vec<_>>().join(", ")
}

/// The listing's statement and values; `None` when the role sees nothing.
pub fn list_sql(dialect: Dialect, f: &ListFilter) -> Option<(String, Params)> {
    let mut p = Params::default();
    let org = p.add(Bind::S(f.org.to_string()));
    let mut sql = format!("SELECT {} FROM {FROM} WHERE d.org_id = {org} AND d.deleted_at IS NULL", select_columns());
    // Access policy: what this role sees entirely, and what only when it uploaded it.
    let mut vis = Vec::new();
    if f.visible_all.len() == Category::ALL.len() {
        vis.push("1 = 1".to_string());
    } else if !f.visible_all.is_empty() {
        vis.push(format!("d.category IN ({})", in_list(&f.visible_all)));
    }
    if !f.visible_own.is_empty() {
        let u = p.add(Bind::S(f.user.to_string()));
        vis.push(format!("(d.category IN ({}) AND d.uploaded_by = {u})", in_list(&f.visible_own)));
    }
    if vis.is_empty() {
        return None;
    }
    sql.push_str(&format!(" AND ({})", vis.join(" OR ")));
    if let Some(v) = f.patient {
        sql.push_str(&format!(" AND d.patient_id = {}", p.add(Bind::S(v.to_string()))));
    }
    if let Some(c) = f.category {
        sql.push_str(&format!(" AND d.category = {}", p.add(Bind::S(c.as_str().to_string()))));
    }
    if let Some(e) = f.visit {
        sql.push_str(&format!(" AND d.encounter_id = {}", p.add(Bind::S(e.to_string()))));
    }
    if let Some(v) = f.from {
        sql.push_str(&format!(" AND d.created_at >= {}", p.add(Bind::I(v))));
    }
    if let Some(v) = f.to {
        sql.push_str(&format!(" AND d.created_at < {}", p.add(Bind::I(v))));
    }
    let col = match f.sort {
        SortKey::Date => "d.created_at",
        SortKey::Name => "d.title_key",
        SortKey::Uploader => "u.name",
    };
    let (cmp, dir) = match f.order {
        SortOrder::Asc => (">", "ASC"),
        SortOrder::Desc => ("<", "DESC"),
    };
    if let Some(c) = &f.after {
        let v = match &c.v {
            CursorValue::Int(i) => Bind::I(*i),
            CursorValue::Text(s) => Bind::S(s.clone()),
        };
        let pv = p.add(v);
        let pid = p.add(Bind::S(c.id.clone()));
        sql.push_str(&format!(" AND ({col} {cmp} {pv} OR ({col} = {pv} AND d.id {cmp} {pid}))"));
    }
    let pl = p.add(Bind::I(f.limit));
    sql.push_str(&format!(" ORDER BY {col} {dir}, d.id {dir} LIMIT {pl}"));
    if dialect == Dialect::Postgres {
        return Some((sql, p));
    }
    // SQLite: the driver hands each row across a thread, which dominated this, the busiest
    // query, in profiles; so SQLite folds the page into one JSON array and one row crosses.
    // (On PostgreSQL `json_agg` measured slower than plain rows.)
    let sql = sql.replacen(&format!(" FROM {FROM}"), &format!(", {col} AS sort_key FROM {FROM}"), 1);
    let fields = DOCUMENT_COLUMNS.iter().map(|(_, name)| *name).collect::<Vec<_>>().join(", ");
    let page = format!(
        "SELECT COALESCE(json_group_array(json_array({fields}) ORDER BY sort_key {dir}, id {dir}), '[]') FROM ({sql}) AS page"
    );
    Some((page, p))
}

impl Db {
    /// A page of the clinic's documents the filter's role may see.
    pub async fn list_documents(&self, f: &ListFilter) -> sqlx::Result<Vec<DocumentRow>> {
        let Some((sql, p)) = list_sql(self.dialect, f) else {
            return Ok(Vec::new());
        };
        if self.dialect == Dialect::Postgres {
            let rows = sqlx::query_with(&sql, p.arguments()?).fetch_all(&self.pool).await?;
            return rows.iter().map(DocumentRow::read).collect();
        }
        let (json,): (String,) = sqlx::query_as_with(&sql, p.arguments()?).fetch_one(&self.pool).await?;
        let rows: Vec<Vec<serde_json::Value>> =
            serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        rows.iter().map(|r| DocumentRow::read(&r[..])).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::sql::placeholders;
    use super::*;

    fn filter() -> ListFilter {
        ListFilter {
            org: Uuid::from_u128(1),
            user: Uuid::from_u128(2),
            visible_all: vec![Category::Insurance],
            visible_own: vec![Category::Lab, Category::Imaging],
            patient: Some(Uuid::from_u128(3)),
            category: Some(Category::Lab),
            visit: Some(Uuid::from_u128(4)),
            from: Some(10),
            to: Some(20),
            sort: SortKey::Name,
            order: SortOrder::Asc,
            limit: 50,
            after: Some(Cursor { v: CursorValue::Text("b".into()), id: "x".into() }),
        }
    }

    #[test]
    fn every_value_has_its_placeholder_on_both_dialects() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let (sql, p) = list_sql(dialect, &filter()).expect("visible");
            assert_eq!(placeholders(&sql), (p.len(), true), "{dialect:?}: {sql}");
            assert!(sql.contains("d.category IN ('insurance')"), "{sql}");
            assert!(sql.contains("(d.category IN ('lab', 'imaging') AND d.uploaded_by = $2)"), "{sql}");
            assert!(sql.contains("ORDER BY d.title_key ASC, d.id ASC"), "{sql}");
            assert!(sql.contains("(d.title_key > $8 OR (d.title_key = $8 AND d.id > $9))"), "{sql}");
        }
        let (sqlite, _) = list_sql(Dialect::Sqlite, &filter()).expect("visible");
        assert!(sqlite.starts_with("SELECT COALESCE(json_group_array(json_array(id, org_id,"), "{sqlite}");
        assert!(sqlite.contains("ORDER BY sort_key ASC, id ASC"), "{sqlite}");
        let (pg, _) = list_sql(Dialect::Postgres, &filter()).expect("visible");
        assert!(!pg.contains("json"), "{pg}");
    }

    #[test]
    fn a_role_that_sees_nothing_runs_no_query_and_one_that_sees_all_has_no_category_clause() {
        let none = ListFilter { visible_all: vec![], visible_own: vec![], ..filter() };
        assert!(list_sql(Dialect::Sqlite, &none).is_none());
        let all = ListFilter { visible_all: Category::ALL.to_vec(), visible_own: vec![], after: None, ..filter() };
        let (sql, p) = list_sql(Dialect::Postgres, &all).expect("visible");
        assert!(sql.contains("AND (1 = 1)"), "{sql}");
        assert_eq!(placeholders(&sql), (p.len(), true));
    }

    const ORG: Uuid = Uuid::from_u128(1);

    /// A SQLite database file with the migrations applied, a clinic, a user and a patient, and
    /// one lab document per title (inserted in that order, `title_key` as given).
    async fn seeded(path: &std::path::Path, titles: &[(&str, Option<&str>)]) -> Db {
        let db = Db::connect(&format!("sqlite://{}?mode=rwc", path.display())).await.expect("db");
        let (org, user, patient) = (ORG, Uuid::from_u128(2), Uuid::from_u128(3));
        for sql in [
            format!("INSERT INTO orgs (id, name, domain, plan, used_bytes, created_at) VALUES ('{org}', 'C', 'c', 'professional', 0, 0)"),
            format!("INSERT INTO users (id, org_id, email, name, role, password_hash, created_at) VALUES ('{user}', '{org}', 'a@c', 'Ann', 'doctor', 'x', 0)"),
            format!("INSERT INTO patients (id, org_id, name, name_lower, date_of_birth, created_at) VALUES ('{patient}', '{org}', 'P', 'p', '2000-01-01', 0)"),
        ] {
            sqlx::query(&sql).execute(&db.pool).await.expect("seed");
        }
        for (i, (title, key)) in titles.iter().enumerate() {
            let id = Uuid::from_u128(100 + i as u128);
            sqlx::query(&format!(
                "INSERT INTO documents (id, org_id, patient_id, title, title_key, category, content_type, storage_key, \
                 file_size, sha256, uploaded_by, created_at, updated_at) VALUES ('{id}', '{org}', '{patient}', '{title}', \
                 $1, 'lab', 'application/pdf', 'k{i}', 1, 's', '{user}', {i}, {i})"
            ))
            .bind(key.map(str::to_string))
            .execute(&db.pool)
            .await
            .expect("doc");
        }
        db
    }

    fn by_name(limit: i64) -> ListFilter {
        ListFilter {
            org: ORG,
            visible_all: Category::ALL.to_vec(),
            visible_own: vec![],
            visit: None,
            from: None,
            to: None,
            limit,
            after: None,
            ..filter()
        }
    }

    /// The SQLite statement runs on a real database with the migrations applied, and reads
    /// back the rows in the sort and page asked for.
    #[tokio::test]
    async fn the_sqlite_page_reads_back_in_order() {
        let dir = tempfile::tempdir().expect("tmp");
        let db = seeded(&dir.path().join("t.db"), &[("b", Some("b")), ("a", Some("a")), ("c", Some("c"))]).await;
        let f = by_name(2);
        let page = db.list_documents(&f).await.expect("list");
        let titles: Vec<&str> = page.iter().map(|r| r.doc.title.as_str()).collect();
        assert_eq!(titles, ["a", "b"]);
        assert_eq!(page[0].doc.uploaded_by_name, "Ann");
        let next = ListFilter {
            after: Some(Cursor { v: CursorValue::Text("b".into()), id: page[1].doc.id.to_string() }),
            ..f
        };
        let titles: Vec<String> =
            db.list_documents(&next).await.expect("list").into_iter().map(|r| r.doc.title).collect();
        assert_eq!(titles, ["c"]);
    }

    /// Documents stored before natural name order (no sort key) get theirs when the server
    /// next opens the database, and then list "page 2" before "page 10".
    #[tokio::test]
    async fn documents_from_before_natural_order_sort_by_number_after_the_upgrade() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("t.db");
        let titles = ["Page 10", "page 2", "page 1", "page 02b"];
        let db = seeded(&path, &titles.map(|t| (t, None))).await;
        db.pool.close().await;
        let db = Db::connect(&format!("sqlite://{}?mode=rwc", path.display())).await.expect("reopen");
        let listed: Vec<String> =
            db.list_documents(&by_name(10)).await.expect("list").into_iter().map(|r| r.doc.title).collect();
        assert_eq!(listed, ["page 1", "page 2", "page 02b", "Page 10"]);
    }
}
