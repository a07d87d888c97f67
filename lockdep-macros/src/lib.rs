//! Procedural macros of [`lockdep`](https://docs.rs/lockdep); use them through
//! `lockdep`'s re-exports (`#[lockdep::test]`, `lockdep::class!`).

use proc_macro::TokenStream;
use proc_macro2::Span;
use quote::quote;
use syn::spanned::Spanned;
use syn::{Error, ItemFn, LitStr, ReturnType};

/// A `#[test]` that fails when the test produced a lockdep report.
///
/// ```ignore
/// #[lockdep::test]
/// fn transfer_takes_accounts_in_order() {
///     // ... code that takes locks ...
/// }
/// ```
///
/// The function becomes a `#[test]`; its body runs inside a test scope, and
/// when it returns, the test panics with the full splat of every report
/// attributed to it (its own thread, threads started with
/// `lockdep::thread::spawn`, and any thread while it is the only
/// `#[lockdep::test]` running). Other attributes (`#[should_panic]`,
/// `#[ignore]`) and a `Result` return type are kept.
///
/// On an `async fn`, write the runtime's test attribute below it:
///
/// ```ignore
/// #[lockdep::test]
/// #[tokio::test(flavor = "multi_thread")]
/// async fn two_tasks() { /* ... */ }
/// ```
///
/// The body then runs as an instrumented task (`lockdep::task`), and the
/// tasks it starts with `lockdep::task::spawn` work for the test too.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    if !args.is_empty() {
        let args = proc_macro2::TokenStream::from(args);
        return Error::new(args.span(), "#[lockdep::test] takes no arguments")
            .to_compile_error()
            .into();
    }
    let item = match syn::parse::<ItemFn>(item) {
        Ok(f) => f,
        Err(e) => {
            return Error::new(
                e.span(),
                "#[lockdep::test] goes on a test function: `#[lockdep::test] fn name() { ... }`",
            )
            .to_compile_error()
            .into();
        }
    };
    match expand_test(item) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand_test(item: ItemFn) -> syn::Result<proc_macro2::TokenStream> {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = item;
    if sig.asyncness.is_some() {
        return expand_async_test(attrs, vis, sig, block);
    }
    if !sig.inputs.is_empty() {
        return Err(Error::new(
            sig.inputs.span(),
            "a #[lockdep::test] function takes no arguments",
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(Error::new(
            sig.generics.span(),
            "a #[lockdep::test] function cannot be generic",
        ));
    }
    if let Some(a) = attrs.iter().find(|a| a.path().is_ident("test")) {
        return Err(Error::new(
            a.span(),
            "#[lockdep::test] already makes this function a #[test]; remove this #[test]",
        ));
    }
    let name = &sig.ident;
    let ret = match &sig.output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) => quote!(#ty),
    };
    Ok(quote! {
        #[::core::prelude::v1::test]
        #(#attrs)*
        #vis #sig {
            let __lockdep_scope = ::lockdep::__private::TestScope::enter(::core::concat!(
                ::core::module_path!(),
                "::",
                ::core::stringify!(#name)
            ));
            #[allow(clippy::redundant_closure_call)]
            let __lockdep_result = (move || -> #ret #block)();
            __lockdep_scope.finish();
            __lockdep_result
        }
    })
}

/// An `async fn` test: the runtime's test attribute written below
/// (`#[tokio::test]`) makes it a test and runs it; the body runs as an
/// instrumented task (`lockdep::task::Instrument`) inside the test's scope,
/// so reports in it and in the tasks it spawns with `lockdep::task::spawn`
/// fail this test.
fn expand_async_test(
    attrs: Vec<syn::Attribute>,
    vis: syn::Visibility,
    sig: syn::Signature,
    block: Box<syn::Block>,
) -> syn::Result<proc_macro2::TokenStream> {
    let is_runtime_test = |a: &syn::Attribute| {
        let segments = &a.path().segments;
        segments.len() > 1 && segments.last().is_some_and(|s| s.ident == "test")
    };
    if !attrs.iter().any(is_runtime_test) {
        return Err(Error::new(
            sig.asyncness.span(),
            "an `async fn` #[lockdep::test] needs a runtime's test attribute below it: \
             `#[lockdep::test] #[tokio::test] async fn name() { ... }`",
        ));
    }
    if !sig.inputs.is_empty() {
        return Err(Error::new(
            sig.inputs.span(),
            "a #[lockdep::test] function takes no arguments",
        ));
    }
    let name = &sig.ident;
    Ok(quote! {
        #(#attrs)*
        #vis #sig {
            let __lockdep_scope = ::lockdep::testing::TestScope::enter(::core::concat!(
                ::core::module_path!(),
                "::",
                ::core::stringify!(#name)
            ));
            let __lockdep_result =
                ::lockdep::task::Instrument::lockdep(async move #block).await;
            __lockdep_scope.finish();
            __lockdep_result
        }
    })
}

/// A `&'static LockClass` named by a string literal, declared in place:
/// `lockdep::class!("&mm->mmap_sem")` is a `static` `LockClass` (one class
/// per macro call site, however often the expression runs).
#[proc_macro]
pub fn class(input: TokenStream) -> TokenStream {
    let lit = match syn::parse::<LitStr>(input.clone()) {
        Ok(l) => l,
        Err(_) => {
            let input = proc_macro2::TokenStream::from(input);
            let span = if input.is_empty() {
                Span::call_site()
            } else {
                input.span()
            };
            return Error::new(
                span,
                "lockdep::class! takes one string literal, the class name: \
                 `lockdep::class!(\"&mm->mmap_sem\")`",
            )
            .to_compile_error()
            .into();
        }
    };
    if lit.value().is_empty() {
        return Error::new(lit.span(), "a lock class name must not be empty")
            .to_compile_error()
            .into();
    }
    quote! {{
        static __LOCKDEP_CLASS: ::lockdep::LockClass = ::lockdep::LockClass::new(#lit);
        &__LOCKDEP_CLASS
    }}
    .into()
}

/// Names the class of each lock field of a struct after the struct and the
/// field, the way the kernel names classes: field `loaders` of `Server` is
/// in class `&Server->loaders`.
///
/// ```ignore
/// #[lockdep::classes]
/// #[derive(Default)]
/// struct Server {
///     loaders: RwLock<Vec<Loader>>,   // class "&Server->loaders"
///     index: RwLock<Vec<Loader>>,     // class "&Server->index"
///     #[lockdep(skip)]
///     stats: Mutex<Stats>,            // keeps its site class
///     #[lockdep(class = "server_conn")]
///     conn: Arc<Mutex<Conn>>,         // named explicitly
/// }
/// ```
///
/// Lock fields are those whose type is named `Mutex`, `RwLock`, `RwSem`,
/// `SeqCount` or `LockMap`, plus any field marked `#[lockdep(class)]` or
/// `#[lockdep(class = "name")]` (for `Arc<Mutex<T>>` and the like); their types
/// must implement `lockdep::class::SetClass`.
///
/// The macro adds `fn lockdep_set_classes(&self)`, which moves every lock
/// field to its class; call it at the end of hand-written constructors. If the
/// struct has `#[derive(Default)]` below the attribute, the macro replaces that
/// derive with an equivalent `impl Default` that calls it, so derived
/// structs get their classes with no further change. Write the attribute
/// *above* `#[derive(...)]`: rustc expands a derive written above an
/// attribute macro first, and that `Default` would be the plain one.
#[proc_macro_attribute]
pub fn classes(args: TokenStream, item: TokenStream) -> TokenStream {
    if !args.is_empty() {
        let args = proc_macro2::TokenStream::from(args);
        return Error::new(
            args.span(),
            "#[lockdep::classes] takes no arguments; name one field's class with #[lockdep(class = \"name\")]",
        )
        .to_compile_error()
        .into();
    }
    let item = match syn::parse::<syn::ItemStruct>(item) {
        Ok(s) => s,
        Err(e) => {
            return Error::new(
                e.span(),
                "#[lockdep::classes] goes on a struct with named fields",
            )
            .to_compile_error()
            .into();
        }
    };
    match classes::expand(item) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

mod classes;
