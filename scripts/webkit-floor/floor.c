// The floor of the console's idle memory (issue #20): the least a WebKitGTK window can
// cost on this machine, to set Keyward's own figures against. One window the size of
// Keyward's, one WebKitWebView, one page (argv[1]); nothing else. Built and measured by
// scripts/bench-webkit-floor.sh, which gives it the environment the app gives itself.
#include <gtk/gtk.h>
#include <webkit2/webkit2.h>

int main(int argc, char **argv) {
  gtk_init(&argc, &argv);
  GtkWidget *window = gtk_window_new(GTK_WINDOW_TOPLEVEL);
  gtk_window_set_default_size(GTK_WINDOW(window), 1200, 780);
  g_signal_connect(window, "destroy", G_CALLBACK(gtk_main_quit), NULL);
  WebKitWebView *view = WEBKIT_WEB_VIEW(webkit_web_view_new());
  // The page's console (its report of the theme it sees) goes to stdout.
  webkit_settings_set_enable_write_console_messages_to_stdout(webkit_web_view_get_settings(view), TRUE);
  gtk_container_add(GTK_CONTAINER(window), GTK_WIDGET(view));
  webkit_web_view_load_uri(view, argc > 1 ? argv[1] : "about:blank");
  gtk_widget_show_all(window);
  gtk_main();
  return 0;
}
