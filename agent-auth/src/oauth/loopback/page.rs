//! The small pages the loopback listener answers the browser with. Static
//! text only: nothing from the request is echoed back.

macro_rules! page {
    ($name:ident, $title:expr, $text:expr) => {
        pub(super) const $name: &str = concat!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>",
            $title,
            "</title></head><body><h1>",
            $title,
            "</h1><p>",
            $text,
            "</p></body></html>"
        );
    };
}

page!(
    DONE,
    "Signed in",
    "You can close this window and return to the application."
);
page!(
    REFUSED,
    "Sign-in refused",
    "The authorization was refused. You can close this window."
);
page!(
    WRONG_STATE,
    "Unexpected response",
    "This response does not belong to a pending sign-in."
);
page!(NOT_FOUND, "Not found", "Nothing here.");
page!(BAD_REQUEST, "Bad request", "The request could not be read.");
