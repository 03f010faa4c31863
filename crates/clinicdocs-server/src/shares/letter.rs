//! The share email's words: who at which clinic shared how many documents, the portal link,
//! and how long it works — in plain text and in HTML. It names no patient and no document
//! (the portal shows those once the link is opened).

use crate::html::escape;
use crate::mail::Letter;
use std::time::Duration;

/// "24 hours", "30 minutes", "45 seconds".
pub fn duration_phrase(d: Duration) -> String {
    let s = d.as_secs();
    let (n, unit) = if s >= 3600 && s % 3600 == 0 {
        (s / 3600, "hour")
    } else if s >= 60 && s % 60 == 0 {
        (s / 60, "minute")
    } else {
        (s, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// What the letter says.
pub struct ShareNotice<'a> {
    pub clinic: &'a str,
    pub sender: &'a str,
    pub recipient_name: &'a str,
    pub recipient_email: &'a str,
    pub documents: usize,
    pub link: &'a str,
    pub unused_ttl: Duration,
}

pub fn share_letter(n: &ShareNotice<'_>) -> Letter {
    let what = if n.documents == 1 { "a document".to_string() } else { format!("{} documents", n.documents) };
    let ttl = duration_phrase(n.unused_ttl);
    let text = format!(
        "Hello {name},\n\n{sender} of {clinic} has shared {what} with you.\n\nView {them}: {link}\n\n\
         The link works for {ttl} if it is not opened; once opened, it keeps working until {clinic} withdraws it. \
         Do not forward this email: anyone with the link can open the documents.\n\n\
         If you did not expect this email, you can ignore it.\n\n{clinic}\n",
        name = n.recipient_name,
        sender = n.sender,
        clinic = n.clinic,
        them = if n.documents == 1 { "it" } else { "them" },
        link = n.link,
    );
    let e = escape;
    let html = format!(
        "<!doctype html><html lang=\"en\"><body style=\"font-family: sans-serif; color: #1b1f24; line-height: 1.5\">\
         <p>Hello {name},</p><p>{sender} of {clinic} has shared {what} with you.</p>\
         <p><a href=\"{link}\" style=\"display: inline-block; padding: 10px 18px; background: #0b5cad; color: #ffffff; \
         text-decoration: none; border-radius: 6px\">View documents</a></p>\
         <p>Or copy this link into your browser: {link}</p>\
         <p style=\"color: #4a5360\">The link works for {ttl} if it is not opened; once opened, it keeps working until \
         {clinic} withdraws it. Do not forward this email: anyone with the link can open the documents.</p>\
         <p style=\"color: #4a5360\">If you did not expect this email, you can ignore it.</p><p>{clinic}</p></body></html>",
        name = e(n.recipient_name),
        sender = e(n.sender),
        clinic = e(n.clinic),
        what = e(&what),
        link = e(n.link),
    );
    Letter {
        to_name: n.recipient_name.to_string(),
        to_email: n.recipient_email.to_string(),
        from_name: n.clinic.to_string(),
        subject: format!("{}: {what} shared with you", n.clinic),
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_letter_carries_the_link_and_the_time_it_works_and_escapes_names() {
        let l = share_letter(&ShareNotice {
            clinic: "Northside <Clinic>",
            sender: "Dr. Dana Doctor",
            recipient_name: "Dr. Lee",
            recipient_email: "lee@ortho.example",
            documents: 2,
            link: "https://docs.example/share/abc",
            unused_ttl: Duration::from_secs(86400),
        });
        assert!(l.text.contains("https://docs.example/share/abc"));
        assert!(l.text.contains("works for 24 hours"));
        assert!(l.text.contains("shared 2 documents"));
        assert!(l.html.contains("Northside &lt;Clinic&gt;"));
        assert!(!l.html.contains("<Clinic>"));
        assert_eq!(duration_phrase(Duration::from_secs(90)), "90 seconds");
        assert_eq!(duration_phrase(Duration::from_secs(3600)), "1 hour");
        assert_eq!(duration_phrase(Duration::from_secs(600)), "10 minutes");
    }
}
